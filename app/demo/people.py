"""The demonstration network: units, a content provider, about 160 people and their roles.

Loaded idempotently (people are found again by their DEMO-... HR number) and with a fixed
seed, so every machine and every run gets the same people.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import db
from app.people.models import Provider, Role, Unit, UnitKind, User
from app.people.role_operations import grant_role
from app.people.unit_operations import get_or_create_provider, get_or_create_unit

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
    """Return first.last@ the demo domain, numbered when taken, and note it as taken."""

    def ascii_part(text: str) -> str:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(ch for ch in folded.lower() if ch.isalnum())

    base = f"{ascii_part(first)}.{ascii_part(last)}"
    email, n = f"{base}@{DEMO_DOMAIN}", 2
    while email in taken:
        email, n = f"{base}{n}@{DEMO_DOMAIN}", n + 1
    taken.add(email)
    return email


@dataclass(frozen=True)
class _Network:
    """The demo's units and provider."""

    network: Unit
    jura: Unit
    basel: Unit
    branches: list[tuple[Unit, str]]  # each branch with its region's language
    provider: Provider


@dataclass
class _People:
    """Finds a demo person by HR number or adds them (all with the same password hash)."""

    session: Session
    password_hash: str
    existing: dict[str, User] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        """Load the demo people of an earlier run."""
        self.existing = {
            u.hr_number: u
            for u in self.session.scalars(select(User).where(User.hr_number.like("DEMO-%")))
        }
        self.taken = {u.email for u in self.existing.values()}

    def person(self, hr: str, first: str, last: str, lang: str, unit: Unit) -> User:
        """Return the person with HR number `hr`, adding them when missing."""
        user = self.existing.get(hr)
        if user is None:
            user = User(
                hr_number=hr,
                email=_unique_email(first, last, self.taken),
                first_name=first,
                last_name=last,
                preferred_language=lang,
                unit=unit,
                password_hash=self.password_hash,
            )
            self.session.add(user)
            self.session.flush()
            self.existing[hr] = user
        return user


def load_demo(password_hash: str, echo: Callable[[str], None] = lambda _m: None) -> dict[str, str]:
    """Create or refresh the demo network, people and roles; return the demo log-ins."""
    session = db.session
    network = _load_network(session)
    people = _People(session, password_hash)
    logins, learners = _load_learners(people, network.branches)
    logins.update(_load_staff(people, network))
    echo(f"{len(network.branches)} branches, {learners} learners, 7 managers/trainers/admins")
    return logins


def _load_network(session: Session) -> _Network:
    """Create or rename the network, its two regions, their branches and the provider."""
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
        unit = get_or_create_unit(session, code=code, name=name, kind=UnitKind.BRANCH, parent=jura)
        branches.append((unit, "fr"))
    for name in BASEL_BRANCHES:
        code = "bs-" + name.lower().replace(" ", "-")
        unit = get_or_create_unit(session, code=code, name=name, kind=UnitKind.BRANCH, parent=basel)
        branches.append((unit, "de"))
    provider = get_or_create_provider(
        session, slug="ju-it", name="Service de l'informatique, République et Canton du Jura"
    )
    return _Network(network, jura, basel, branches, provider)


def _load_learners(people: _People, branches: list[tuple[Unit, str]]) -> tuple[dict[str, str], int]:
    """Staff every branch with learners; return the learner log-in and how many there are."""
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
            user = people.person(f"DEMO-{n:04d}", first, last, lang, branch)
            grant_role(people.session, user, Role.LEARNER)
            if index == 0 and "learner" not in logins:
                logins["learner"] = user.email
    return logins, n


def _load_staff(people: _People, net: _Network) -> dict[str, str]:
    """Managers at branch, region and network level (they learn too), trainers, an admin."""
    session = people.session
    saignelegier = next(b for b, _ in net.branches if b.name == "Saignelégier")
    branch_manager = people.person("DEMO-M001", "Isabelle", "Froidevaux", "fr", saignelegier)
    grant_role(session, branch_manager, Role.LEARNER)
    grant_role(session, branch_manager, Role.MANAGER, unit=saignelegier)
    region_manager = people.person("DEMO-M002", "Philippe", "Crevoisier", "fr", net.jura)
    grant_role(session, region_manager, Role.MANAGER, unit=net.jura)
    basel_manager = people.person("DEMO-M003", "Regula", "Hänggi", "de", net.basel)
    grant_role(session, basel_manager, Role.MANAGER, unit=net.basel)
    network_manager = people.person("DEMO-M004", "Andreas", "Kälin", "de", net.network)
    grant_role(session, network_manager, Role.MANAGER, unit=net.network)
    trainer_fr = people.person("DEMO-T001", "Valérie", "Chapatte", "fr", net.jura)
    grant_role(session, trainer_fr, Role.TRAINER, provider=net.provider)
    trainer_de = people.person("DEMO-T002", "Martin", "Stöckli", "de", net.jura)
    grant_role(session, trainer_de, Role.TRAINER, provider=net.provider)
    admin = people.person("DEMO-A001", "Nadia", "Boillat", "fr", net.network)
    grant_role(session, admin, Role.ADMIN)
    return {
        "branch manager (Saignelégier)": branch_manager.email,
        "region manager (Jura)": region_manager.email,
        "region manager (Basel)": basel_manager.email,
        "network manager": network_manager.email,
        "trainer (fr)": trainer_fr.email,
        "trainer (de)": trainer_de.email,
        "admin": admin.email,
    }
