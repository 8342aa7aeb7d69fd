"""Learning modules: file format, rendering, media checks, import and the learner reader."""
