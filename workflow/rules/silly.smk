# TODO: silly stage
