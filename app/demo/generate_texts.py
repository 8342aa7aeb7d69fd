"""Short multilingual texts for generated modules, quizzes and campaigns (de, fr, it, en)."""

from __future__ import annotations

import random

LANGS = ("de", "fr", "it", "en")

TOPICS: tuple[dict[str, str], ...] = (
    {
        "de": "Steuererklärung online",
        "fr": "Déclaration d'impôt en ligne",
        "it": "Dichiarazione d'imposta online",
        "en": "Online tax return",
    },
    {
        "de": "Elektronische Identität",
        "fr": "Identité électronique",
        "it": "Identità elettronica",
        "en": "Electronic identity",
    },
    {
        "de": "Zahlungen am Schalter",
        "fr": "Paiements au guichet",
        "it": "Pagamenti allo sportello",
        "en": "Payments at the counter",
    },
    {
        "de": "Vertraulichkeit",
        "fr": "Confidentialité",
        "it": "Riservatezza",
        "en": "Confidentiality",
    },
    {
        "de": "Ältere Kundschaft",
        "fr": "Clientèle âgée",
        "it": "Clientela anziana",
        "en": "Older customers",
    },
    {
        "de": "Digitaler Briefkasten",
        "fr": "Boîte aux lettres numérique",
        "it": "Bucalettere digitale",
        "en": "Digital letterbox",
    },
    {
        "de": "Betrug erkennen",
        "fr": "Reconnaître la fraude",
        "it": "Riconoscere le truffe",
        "en": "Spotting fraud",
    },
    {
        "de": "Pakete und Einschreiben",
        "fr": "Colis et recommandés",
        "it": "Pacchi e raccomandate",
        "en": "Parcels and registered mail",
    },
    {"de": "Barrierefreiheit", "fr": "Accessibilité", "it": "Accessibilità", "en": "Accessibility"},
    {
        "de": "Umzug melden",
        "fr": "Annoncer un déménagement",
        "it": "Annunciare un trasloco",
        "en": "Reporting a move",
    },
    {
        "de": "Betreibungsauszug",
        "fr": "Extrait du registre des poursuites",
        "it": "Estratto del registro esecuzioni",
        "en": "Debt collection extract",
    },
    {
        "de": "Kundengespräche",
        "fr": "Entretiens avec la clientèle",
        "it": "Colloqui con la clientela",
        "en": "Customer conversations",
    },
)
ASPECTS: tuple[dict[str, str], ...] = (
    {"de": "Grundlagen", "fr": "Les bases", "it": "Le basi", "en": "Basics"},
    {"de": "Am Schalter", "fr": "Au guichet", "it": "Allo sportello", "en": "At the counter"},
    {"de": "Sicherheit", "fr": "Sécurité", "it": "Sicurezza", "en": "Security"},
    {
        "de": "Schwierige Fälle",
        "fr": "Cas difficiles",
        "it": "Casi difficili",
        "en": "Difficult cases",
    },
    {"de": "Auffrischung", "fr": "Rappel", "it": "Ripasso", "en": "Refresher"},
    {"de": "Checkliste", "fr": "Liste de contrôle", "it": "Lista di controllo", "en": "Checklist"},
)
PAGE_TITLES: dict[str, tuple[str, ...]] = {
    "de": (
        "Warum es wichtig ist",
        "Schritt für Schritt",
        "Am Schalter",
        "Häufige Fehler",
        "Was Sie sagen können",
        "Zum Merken",
    ),
    "fr": (
        "Pourquoi c'est important",
        "Pas à pas",
        "Au guichet",
        "Erreurs fréquentes",
        "Ce que vous pouvez dire",
        "À retenir",
    ),
    "it": (
        "Perché è importante",
        "Passo dopo passo",
        "Allo sportello",
        "Errori frequenti",
        "Cosa potete dire",
        "Da ricordare",
    ),
    "en": (
        "Why it matters",
        "Step by step",
        "At the counter",
        "Common mistakes",
        "What you can say",
        "Remember",
    ),
}
SENTENCES: dict[str, tuple[str, ...]] = {
    "de": (
        "Kundinnen und Kunden bringen oft Unterlagen mit, die sie nicht verstehen.",
        "Fragen Sie zuerst, was die Person erreichen möchte.",
        "Zeigen Sie den Weg, aber tippen Sie keine Passwörter ein.",
        "Die Online-Dienste der Kantone sind rund um die Uhr erreichbar.",
        "Notieren Sie keine persönlichen Daten auf Zetteln.",
        "Bei Unsicherheit hilft die Hotline des Kantons weiter.",
        "Erklären Sie jeden Schritt in einfachen Worten.",
        "Prüfen Sie am Ende, ob die Person sich abgemeldet hat.",
    ),
    "fr": (
        "Les clients apportent souvent des documents qu'ils ne comprennent pas.",
        "Demandez d'abord ce que la personne veut faire.",
        "Montrez le chemin, mais ne tapez jamais de mot de passe.",
        "Les services en ligne du canton sont ouverts jour et nuit.",
        "Ne notez aucune donnée personnelle sur un papier.",
        "En cas de doute, la hotline du canton peut aider.",
        "Expliquez chaque étape avec des mots simples.",
        "Vérifiez à la fin que la personne s'est déconnectée.",
    ),
    "it": (
        "I clienti portano spesso documenti che non capiscono.",
        "Chiedete prima che cosa vuole fare la persona.",
        "Mostrate la strada, ma non digitate mai una password.",
        "I servizi online del cantone sono aperti giorno e notte.",
        "Non annotate dati personali su un foglio.",
        "In caso di dubbio, la hotline del cantone può aiutare.",
        "Spiegate ogni passo con parole semplici.",
        "Alla fine verificate che la persona si sia disconnessa.",
    ),
    "en": (
        "Customers often bring documents they do not understand.",
        "First ask what the person wants to do.",
        "Show the way, but never type a password.",
        "The canton's online services are open day and night.",
        "Do not write personal data on paper.",
        "When in doubt, the canton's hotline can help.",
        "Explain each step in plain words.",
        "At the end, check that the person has signed out.",
    ),
}
CALLOUTS = ("TIP", "WARNING", "SAY")
SUMMARY = {
    "de": "Kurzmodul für das Schalterpersonal.",
    "fr": "Module court pour le guichet.",
    "it": "Modulo breve per lo sportello.",
    "en": "A short module for counter staff.",
}
QUESTION = {
    "de": "Was tun Sie in dieser Situation?",
    "fr": "Que faites-vous dans ce cas ?",
    "it": "Che cosa fate in questo caso?",
    "en": "What do you do in this case?",
}
ANSWERS = (
    {
        "de": "Ich erkläre den nächsten Schritt.",
        "fr": "J'explique l'étape suivante.",
        "it": "Spiego il passo successivo.",
        "en": "I explain the next step.",
    },
    {
        "de": "Ich tippe das Passwort selbst ein.",
        "fr": "Je tape le mot de passe moi-même.",
        "it": "Digito io la password.",
        "en": "I type the password myself.",
    },
    {
        "de": "Ich fotografiere das Dokument.",
        "fr": "Je photographie le document.",
        "it": "Fotografo il documento.",
        "en": "I take a photo of the document.",
    },
)
CAMPAIGN_THEMES = TOPICS


def page_body(rng: random.Random, language: str) -> str:
    """Return the Markdown of one page: a paragraph, a list and sometimes a call-out."""
    sentences = SENTENCES[language]
    paragraph = " ".join(rng.sample(sentences, 3))
    items = "\n".join(f"- {line}" for line in rng.sample(sentences, 3))
    body = f"{paragraph}\n\n{items}\n"
    if rng.random() < 0.6:
        body += f"\n> [!{rng.choice(CALLOUTS)}]\n> {rng.choice(sentences)}\n"
    return body


def in_languages(texts: dict[str, str], languages: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Return the texts in the given languages only."""
    return {language: texts[language] for language in languages}


FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "de": ("Anna", "Lena", "Sandra", "Monika", "Daniel", "Reto", "Beat", "Stefan", "Lukas", "Urs"),
    "fr": (
        "Camille",
        "Léa",
        "Manon",
        "Julie",
        "Luca",
        "Nicolas",
        "Julien",
        "Yves",
        "Joël",
        "Aurélie",
    ),
    "it": ("Giulia", "Chiara", "Sara", "Marco", "Luca", "Matteo", "Paolo", "Giorgio"),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "de": ("Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Brunner", "Gerber", "Wyss"),
    "fr": ("Boillat", "Chapatte", "Froidevaux", "Aubry", "Girardin", "Cattin", "Queloz", "Erard"),
    "it": ("Bernasconi", "Rossi", "Ferrari", "Fontana", "Galli", "Bianchi", "Pedrazzini"),
}
