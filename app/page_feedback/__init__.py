"""Page feedback: learners rate module pages and report problems; trainers follow them up."""
