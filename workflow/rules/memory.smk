# TODO: memory stage
