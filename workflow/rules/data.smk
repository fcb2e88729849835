# TODO: data stage
