"""The generated organisation: regions and branches, people with their roles, providers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.demo.generate_bulk import BulkWriter
from app.demo.generate_sizes import EMAIL_DOMAIN, HR_PREFIX, Run
from app.demo.generate_texts import FIRST_NAMES, LAST_NAMES
from app.people.models import Role, UnitKind

# Regions are named after cantons, in the language their people mostly speak.
REGIONS: tuple[tuple[str, str], ...] = (
    ("Jura", "fr"),
    ("Basel", "de"),
    ("Ticino", "it"),
    ("Bern", "de"),
    ("Vaud", "fr"),
    ("Zürich", "de"),
    ("Genève", "fr"),
    ("Luzern", "de"),
    ("Neuchâtel", "fr"),
    ("St. Gallen", "de"),
    ("Fribourg", "fr"),
    ("Aargau", "de"),
    ("Valais", "fr"),
    ("Graubünden", "de"),
    ("Thurgau", "de"),
    ("Solothurn", "de"),
    ("Schwyz", "de"),
    ("Zug", "de"),
    ("Schaffhausen", "de"),
    ("Appenzell", "de"),
    ("Glarus", "de"),
    ("Uri", "de"),
    ("Obwalden", "de"),
    ("Nidwalden", "de"),
    ("Basel-Landschaft", "de"),
    ("Biel/Bienne", "fr"),
)
PROVIDERS = (
    ("gen-training", "Formation réseau / Netzwerk-Ausbildung"),
    ("gen-it", "Service informatique cantonal"),
    ("gen-federal", "Bundesverwaltung / Administration fédérale"),
)


@dataclass(frozen=True)
class Person:
    """A generated person as the history needs them."""

    id: int
    unit_id: int
    language: str
    email: str
    name: str
    joined_at: datetime


@dataclass
class Org:
    """The generated tree, the learners and the log-ins worth printing."""

    network_id: int
    regions: list[tuple[int, str]] = field(default_factory=list)  # (id, language)
    branches: list[tuple[int, int, str]] = field(default_factory=list)  # (id, region, lang)
    providers: list[int] = field(default_factory=list)
    learners: list[Person] = field(default_factory=list)
    logins: dict[str, str] = field(default_factory=dict)
    tag: str = ""


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _unit(writer: BulkWriter, run: Run, kind: UnitKind, code: str, name: str, parent: tuple | None):
    """Write one unit; return (id, path, depth) for its children."""
    unit_id = writer.new_id("units")
    parent_path, depth = (parent[1], parent[2] + 1) if parent else ("/", 0)
    path = f"{parent_path}{unit_id}/"
    writer.add(
        "units",
        {
            "id": unit_id,
            "parent_id": parent[0] if parent else None,
            "kind": kind.value,
            "code": code,
            "name": name,
            "path": path,
            "depth": depth,
            "created_at": run.start - timedelta(days=200),
            "closed_at": None,
        },
    )
    return unit_id, path, depth


def build_tree(writer: BulkWriter, run: Run, tag: str) -> Org:
    """Write the network, its regions and branches (branch towns numbered per region)."""
    network = _unit(writer, run, UnitKind.NETWORK, f"gen{tag}-net", f"Réseau généré{tag}", None)
    org = Org(network_id=network[0], tag=tag)
    regions = []
    for index in range(run.size.regions):
        name, language = REGIONS[index % len(REGIONS)]
        label = name if index < len(REGIONS) else f"{name} {index // len(REGIONS) + 1}"
        region = _unit(writer, run, UnitKind.REGION, f"gen{tag}-r{index + 1:02d}", label, network)
        regions.append((region, label, language))
        org.regions.append((region[0], language))
    for index in range(run.size.branches):
        region, label, language = regions[index % len(regions)]
        number = index // len(regions) + 1
        branch = _unit(
            writer, run, UnitKind.BRANCH, f"gen{tag}-b{index + 1:04d}", f"{label} {number}", region
        )
        org.branches.append((branch[0], region[0], language))
    for slug, name in PROVIDERS[: run.size.providers]:
        provider_id = writer.new_id("providers")
        writer.add(
            "providers",
            {"id": provider_id, "slug": f"{slug}{tag}", "name": name, "created_at": run.start},
        )
        org.providers.append(provider_id)
    return org


class _People:
    """Writes people and their roles with unique e-mails and hr numbers."""

    def __init__(self, writer: BulkWriter, run: Run, org: Org, password_hash: str) -> None:
        self.writer, self.run, self.org, self.password_hash = writer, run, org, password_hash
        self.count = 0

    def add(self, language: str, unit_id: int, hr: str, joined_at: datetime) -> Person:
        """Write one person (a name in their language) and return them."""
        rng = self.run.rng
        names = "de" if language not in FIRST_NAMES else language
        first, last = rng.choice(FIRST_NAMES[names]), rng.choice(LAST_NAMES[names])
        self.count += 1
        user_id = self.writer.new_id("users")
        email = f"{_ascii(first)}.{_ascii(last)}.{self.count}{self.org.tag}@{EMAIL_DOMAIN}"
        self.writer.add(
            "users",
            {
                "id": user_id,
                "email": email,
                "hr_number": f"{HR_PREFIX}{self.org.tag}{hr}",
                "first_name": first,
                "last_name": last,
                "preferred_language": language,
                "unit_id": unit_id,
                "password_hash": self.password_hash,
                "is_active": True,
                "session_version": 1,
                "extra_time_percent": 0,
                "last_login_at": None,
                "created_at": joined_at,
                "deactivated_at": None,
            },
        )
        return Person(user_id, unit_id, language, email, f"{first} {last}", joined_at)

    def grant(self, person: Person, role: Role, *, unit: int | None = None, provider=None) -> None:
        """Write one role assignment."""
        self.writer.add(
            "role_assignments",
            {
                "id": self.writer.new_id("role_assignments"),
                "user_id": person.id,
                "role": role.value,
                "unit_id": unit,
                "provider_id": provider,
                "created_at": person.joined_at,
            },
        )


def _language(run: Run, region_language: str) -> str:
    """Most people speak their region's language; some another national one, a few English."""
    draw = run.rng.random()
    if draw < 0.85:
        return region_language
    return "en" if draw > 0.97 else run.rng.choice(("de", "fr", "it"))


def build_people(writer: BulkWriter, run: Run, org: Org, password_hash: str) -> None:
    """Write managers, trainers, an admin and the learners (branch managers learn too)."""
    people = _People(writer, run, org, password_hash)
    since = run.start - timedelta(days=180)
    network_manager = people.add("de", org.network_id, "NM", since)
    people.grant(network_manager, Role.MANAGER, unit=org.network_id)
    admin = people.add("fr", org.network_id, "ADMIN", since)
    people.grant(admin, Role.ADMIN)
    org.logins.update({"network manager": network_manager.email, "admin": admin.email})
    for index, (region_id, language) in enumerate(org.regions, start=1):
        manager = people.add(language, region_id, f"RM{index:03d}", since)
        people.grant(manager, Role.MANAGER, unit=region_id)
        org.logins.setdefault("region manager", manager.email)
    for index, provider_id in enumerate(org.providers, start=1):
        trainer = people.add(org.regions[0][1], org.regions[0][0], f"T{index:02d}", since)
        people.grant(trainer, Role.TRAINER, provider=provider_id)
        org.logins.setdefault("trainer", trainer.email)
    learners = max(len(org.branches), run.size.people - people.count)
    weights = [run.rng.uniform(0.5, 1.5) for _ in org.branches]
    shares = [max(1, round(learners * w / sum(weights))) for w in weights]
    for index, ((branch_id, _region, language), share) in enumerate(
        zip(org.branches, shares, strict=True), start=1
    ):
        for number in range(share):
            late = run.rng.random() < 0.1  # a tenth joined during the three years
            joined = run.moment_between(run.start, run.now - timedelta(days=10)) if late else since
            person = people.add(
                _language(run, language), branch_id, f"P{index:04d}-{number:03d}", joined
            )
            people.grant(person, Role.LEARNER)
            if number == 0:
                people.grant(person, Role.MANAGER, unit=branch_id)
                org.logins.setdefault("branch manager", person.email)
            org.learners.append(person)
            writer.flush_if_full()
    org.logins["learner"] = org.learners[1 if len(org.learners) > 1 else 0].email
    run.counts["people"] = people.count
