# TODO: demo stage
