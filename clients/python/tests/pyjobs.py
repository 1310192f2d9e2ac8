"""Functions the test workers load with --load pyjobs (GAMUT_JOBS: name -> function)."""


def square(x):
    return x * x


GAMUT_JOBS = {"py.square": square}
