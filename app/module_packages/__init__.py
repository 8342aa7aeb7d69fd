"""Module packages: a module, its media and quizzes as one file that providers share."""
