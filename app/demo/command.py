"""`flask demo`: a realistic demonstration network, loaded idempotently."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.demo.generate import generate_command
from app.extensions import db
from app.people.models import Role, Unit, UnitKind, User
from app.people.passwords import hash_password
from app.people.role_operations import grant_role
from app.people.unit_operations import get_or_create_provider, get_or_create_unit
from app.platform.hooks import DEMO_LOADERS

DEMO_PASSWORD = "counter-ready-2027"
DEMO_DOMAIN = "post.example.org"  # reserved (RFC 2606): demo mail can never reach anyone

JURA_BRANCHES = (
    "Delémont",
    "Porrentruy",
    "Saignelégier",
    "Les Breuleux",
    "Le Noirmont",
    "Bassecourt",
    "Courrendlin",
    "Courgenay",
    "Alle",
    "Boncourt",
    "Fontenais",
    "Courtételle",
    "Develier",
    "Vicques",
    "Glovelier",
    "Courfaivre",
    "Les Bois",
)
BASEL_BRANCHES = ("Basel Freie Strasse", "Basel Bahnhof SBB", "Basel Kleinbasel", "Riehen")

FIRST_NAMES = {
    "fr": (
        "Camille",
        "Léa",
        "Manon",
        "Chloé",
        "Julie",
        "Sarah",
        "Laura",
        "Céline",
        "Nathalie",
        "Sophie",
        "Luca",
        "Nicolas",
        "Julien",
        "Mathieu",
        "Thomas",
        "Olivier",
        "Yves",
        "Pascal",
        "Florian",
        "Kevin",
        "Mélanie",
        "Aurélie",
        "Valérie",
        "Sandrine",
        "Joël",
        "Gaëtan",
    ),
    "de": (
        "Anna",
        "Lena",
        "Laura",
        "Sandra",
        "Monika",
        "Ursula",
        "Barbara",
        "Nicole",
        "Andrea",
        "Daniel",
        "Thomas",
        "Reto",
        "Beat",
        "Stefan",
        "Markus",
        "Lukas",
        "Jonas",
        "Simon",
        "Urs",
        "Martin",
        "Jürg",
        "Käthi",
        "Dominik",
        "Fabienne",
    ),
    "it": (
        "Giulia",
        "Chiara",
        "Francesca",
        "Sara",
        "Marco",
        "Luca",
        "Matteo",
        "Alessandro",
        "Paolo",
        "Giorgio",
    ),
}
LAST_NAMES = {
    "fr": (
        "Boillat",
        "Chapatte",
        "Froidevaux",
        "Jeanbourquin",
        "Aubry",
        "Girardin",
        "Cattin",
        "Queloz",
        "Beuret",
        "Erard",
        "Frossard",
        "Willemin",
        "Theurillat",
        "Joliat",
        "Rérat",
        "Maître",
        "Crevoisier",
        "Babey",
        "Chételat",
        "Membrez",
        "Saucy",
        "Voisard",
    ),
    "de": (
        "Müller",
        "Meier",
        "Schmid",
        "Keller",
        "Weber",
        "Huber",
        "Schneider",
        "Baumann",
        "Brunner",
        "Gerber",
        "Frei",
        "Zimmermann",
        "Moser",
        "Widmer",
        "Wyss",
        "Graf",
        "Roth",
        "Bühler",
        "Stöckli",
        "Hänggi",
    ),
    "it": (
        "Bernasconi",
        "Rossi",
        "Ferrari",
        "Fontana",
        "Galli",
        "Bianchi",
        "Colombo",
        "Pedrazzini",
    ),
}


def _unique_email(first: str, last: str, taken: set[str]) -> str:
    import unicodedata

    def ascii_part(text: str) -> str:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(ch for ch in folded.lower() if ch.isalnum())

    base = f"{ascii_part(first)}.{ascii_part(last)}"
    email, n = f"{base}@{DEMO_DOMAIN}", 2
    while email in taken:
        email, n = f"{base}{n}@{DEMO_DOMAIN}", n + 1
    taken.add(email)
    return email


def load_demo(password_hash: str, echo: Callable[[str], None] = lambda _m: None) -> dict[str, str]:
    """Create or refresh the demo network, people and roles; return the demo log-ins."""
    session = db.session
    network = get_or_create_unit(
        session, code="post", name="La Poste / Die Post", kind=UnitKind.NETWORK
    )
    jura = get_or_create_unit(
        session, code="post-ju", name="Région Jura", kind=UnitKind.REGION, parent=network
    )
    basel = get_or_create_unit(
        session, code="post-bs", name="Region Basel", kind=UnitKind.REGION, parent=network
    )
    branches: list[tuple[Unit, str]] = []
    for name in JURA_BRANCHES:
        code = "ju-" + name.lower().replace(" ", "-").replace("é", "e").replace("è", "e")
        branches.append(
            (
                get_or_create_unit(
                    session, code=code, name=name, kind=UnitKind.BRANCH, parent=jura
                ),
                "fr",
            )
        )
    for name in BASEL_BRANCHES:
        code = "bs-" + name.lower().replace(" ", "-")
        branches.append(
            (
                get_or_create_unit(
                    session, code=code, name=name, kind=UnitKind.BRANCH, parent=basel
                ),
                "de",
            )
        )
    provider = get_or_create_provider(
        session, slug="ju-it", name="Service de l'informatique, République et Canton du Jura"
    )
    existing = {
        u.hr_number: u for u in session.scalars(select(User).where(User.hr_number.like("DEMO-%")))
    }
    taken = {u.email for u in existing.values()}

    def person(hr: str, first: str, last: str, lang: str, unit: Unit) -> User:
        user = existing.get(hr)
        if user is None:
            user = User(
                hr_number=hr,
                email=_unique_email(first, last, taken),
                first_name=first,
                last_name=last,
                preferred_language=lang,
                unit=unit,
                password_hash=password_hash,
            )
            session.add(user)
            session.flush()
            existing[hr] = user
        return user

    rng = random.Random(2027)  # fixed seed: the same people on every machine and every run
    logins: dict[str, str] = {}
    n = 0
    for index, (branch, region_lang) in enumerate(branches):
        staff = 8 if region_lang == "fr" else 4
        if branch.name in ("Delémont", "Porrentruy"):
            staff = 12
        for _ in range(staff):
            n += 1
            lang = region_lang if rng.random() < 0.85 else rng.choice(("de", "fr", "it"))
            first = rng.choice(FIRST_NAMES[lang])
            last = rng.choice(LAST_NAMES[lang])
            user = person(f"DEMO-{n:04d}", first, last, lang, branch)
            grant_role(session, user, Role.LEARNER)
            if index == 0 and "learner" not in logins:
                logins["learner"] = user.email
    # Managers at branch, region and network level; they learn too.
    saignelegier = next(b for b, _ in branches if b.name == "Saignelégier")
    branch_manager = person("DEMO-M001", "Isabelle", "Froidevaux", "fr", saignelegier)
    grant_role(session, branch_manager, Role.LEARNER)
    grant_role(session, branch_manager, Role.MANAGER, unit=saignelegier)
    region_manager = person("DEMO-M002", "Philippe", "Crevoisier", "fr", jura)
    grant_role(session, region_manager, Role.MANAGER, unit=jura)
    basel_manager = person("DEMO-M003", "Regula", "Hänggi", "de", basel)
    grant_role(session, basel_manager, Role.MANAGER, unit=basel)
    network_manager = person("DEMO-M004", "Andreas", "Kälin", "de", network)
    grant_role(session, network_manager, Role.MANAGER, unit=network)
    trainer_fr = person("DEMO-T001", "Valérie", "Chapatte", "fr", jura)
    grant_role(session, trainer_fr, Role.TRAINER, provider=provider)
    trainer_de = person("DEMO-T002", "Martin", "Stöckli", "de", jura)
    grant_role(session, trainer_de, Role.TRAINER, provider=provider)
    admin = person("DEMO-A001", "Nadia", "Boillat", "fr", network)
    grant_role(session, admin, Role.ADMIN)
    logins.update(
        {
            "branch manager (Saignelégier)": branch_manager.email,
            "region manager (Jura)": region_manager.email,
            "region manager (Basel)": basel_manager.email,
            "network manager": network_manager.email,
            "trainer (fr)": trainer_fr.email,
            "trainer (de)": trainer_de.email,
            "admin": admin.email,
        }
    )
    echo(f"{len(branches)} branches, {n} learners, 7 managers/trainers/admins")
    return logins


@click.group("demo", invoke_without_command=True)
@with_appcontext
@click.pass_context
def demo_command(ctx: click.Context) -> None:
    """Load the demonstration data (safe to run again: nothing is duplicated)."""
    if ctx.invoked_subcommand is not None:
        return  # `flask demo generate`: the scale data, not the demonstration
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("the demo data must not be loaded in production")
    # The loaders go through the real operations, which log every event at INFO: the demo's
    # own summary lines say what happened instead.
    logging.getLogger("app").setLevel(max(logging.WARNING, logging.getLogger("app").level))
    # One hash for every demo account: hashing 160 passwords with argon2id would take a minute.
    password_hash = hash_password(DEMO_PASSWORD, current_app.config["PASSWORD_HASH"])
    logins = load_demo(password_hash, echo=click.echo)
    # Features add loaders (such as importing the shipped courses) in their register(app).
    for loader in DEMO_LOADERS.receivers():
        loader(echo=click.echo)
    # After every loader: the campaign needs the people and the imported modules and quizzes.
    from app.demo.learning import load_demo_campaigns

    load_demo_campaigns(echo=click.echo)
    db.session.commit()
    click.echo(f"\nDemo log-ins (password for all: {DEMO_PASSWORD}):")
    for role, email in logins.items():
        click.echo(f"  {role:32} {email}")


demo_command.add_command(generate_command)
