# TODO: train stage
