# TODO: evaluate stage
