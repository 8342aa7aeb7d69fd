"""Quizzes: the quiz file format, GIFT import/export, grading (pure) and attempts."""
