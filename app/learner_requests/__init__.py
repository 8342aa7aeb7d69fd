"""Requests a learner can follow: problem reports, new-module requests and questions to the
trainers, each with a timeline like a parcel tracker, notices and e-mails on every change."""
