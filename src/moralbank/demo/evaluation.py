"""Demo step: evaluation in flight. In a few villages: deeds at every stage (grid mutual evaluation,
village review, posted, rejected), a department record sent through its interface that big-data
evaluation posts on its own, pending deductions (one waiting for a second officer, one in its objection
window), an objection, and a confirmation ring for the village officer to look at. Deterministic from
the seed; written only through services."""

from __future__ import annotations

import io
import random
from collections import defaultdict
from datetime import timedelta

from moralbank.auth.domain import Principal, Role
from moralbank.bootstrap import Container
from moralbank.demo.users import staff
from moralbank.evaluation import service as ev
from moralbank.evaluation.service import Upload
from moralbank.kernel.clock import local_date

VILLAGES = {"town": 3, "yuyao": 20}


def _photo(rng: random.Random) -> bytes:
    """A small real PNG (a coloured square) as the deed's photo."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 32), tuple(rng.randrange(256) for _ in range(3))).save(buf, format="PNG")
    return buf.getvalue()


def _demo_account(container: Container, username: str, path: str) -> Principal | None:
    """The demo step before this one made accounts (``demo.users``): act as them where they work, so
    whoever signs in as the demo village officer or grid worker finds their own decisions."""
    from moralbank.auth import service as auth
    from moralbank.errors import NotFound

    with container.uow(write=False) as uow:
        try:
            user = auth.get_user(uow, username=username)
        except NotFound:
            return None
    if not user.unit_code or not path.rstrip("/").endswith(user.unit_code):
        return None
    return Principal(
        kind="user",
        id=str(user.id),
        role=user.role,
        display_name=user.display_name,
        unit_code=user.unit_code,
        unit_path=path,
    )


def _resident(rid: str) -> Principal:
    return Principal(kind="resident", id=rid, role=Role.RESIDENT, resident_id=rid)


def _department_records(container: Container, people: list[str], *, seed: int) -> int:
    """A department record about each of ``people``, dated five days ago, sent through its interface:
    one that may send records about them and whose indicator posts without a human (volunteering,
    when they consented to an interface that reports it). Returns how many were accepted."""
    from moralbank.demo import city, history
    from moralbank.feeds import service as feeds
    from moralbank.policy import service as policy_service
    from moralbank.residents import service as residents

    interfaces = feeds.list_interfaces()
    with container.uow(write=False) as uow:
        policy = policy_service.active(uow)
        consented = {
            i.name: residents.consented_residents(uow, resident_ids=people, interface=i.name)
            for i in interfaces
            if i.consent_required
        }
    source = history.DepartmentRecords(policy, interfaces, consented, series="E")
    rng = random.Random(f"{seed}:evaluation:records")
    day = local_date(container.clock.now()) - timedelta(days=5)
    records = [
        r
        for rid in people
        if (
            r := source.record(rng, rid, day, negative=False, indicator="SM01")
            or source.record(rng, rid, day, negative=False)
        )
    ]
    numbers = city.id_numbers(container, seed=seed, resident_ids=people)
    sent = [r for r in records if r.resident_id in numbers]
    return history.send(container, sent, numbers, seed=seed).accepted if sent else 0


def build_evaluation(container: Container, *, scale: str, seed: int) -> str:
    from moralbank.orgs import service as orgs
    from moralbank.residents import service as residents

    rng = random.Random(f"{seed}:evaluation")
    counts: dict[str, int] = defaultdict(int)
    with container.uow() as uow:
        by_grid: dict[str, list[str]] = defaultdict(list)
        for r in residents.list_ids(uow, limit=50_000):
            by_grid[r["grid"]].append(r["id"])
        plans = []
        seen_villages: set[str] = set()
        # the sample resident's grid first: the demo accounts (village officer, grid worker) work there
        sample = (container.cache.get("demo_residents") or [{}])[0]
        first_grid = sample.get("grid")
        for grid in sorted(by_grid, key=lambda g: (g != first_grid, g)):
            if len(plans) >= VILLAGES.get(scale, 3):
                break
            village = orgs.get(uow, code=grid).parent_code or ""
            if village in seen_villages:
                continue
            # two neighbours of different households (so they may confirm each other)
            people = sorted(by_grid[grid])
            rng.shuffle(people)
            if sample.get("id") in people:  # the sample resident (who can sign in by phone) takes part
                people.remove(sample["id"])
                people.insert(0, sample["id"])
            first = people[0]
            other = next(
                (rid for rid in people[1:] if rid not in residents.household_members(uow, resident_id=first)),
                None,
            )
            ring = other is not None
            if other is None:
                if grid != first_grid:
                    continue
                # the sample resident's grid is shown whatever its size; it just has no ring
                other = people[1] if len(people) > 1 else first
            seen_villages.add(village)
            plans.append(
                (
                    village,
                    grid,
                    orgs.path_of(uow, code=village),
                    orgs.path_of(uow, code=grid),
                    first,
                    other,
                    ring,
                )
            )
    today = local_date(container.clock.now())
    for village, grid, village_path, grid_path, a, b, ring in plans:
        officer, officer_b = (
            staff(Role.VILLAGE_OFFICER, village, village_path, 1),
            _demo_account(container, "village", village_path)
            or staff(Role.VILLAGE_OFFICER, village, village_path, 2),
        )
        worker = _demo_account(container, "grid", grid_path) or staff(Role.GRID_WORKER, grid, grid_path, 1)
        with container.uow() as uow:

            def deed(rid: str, text: str, days: int) -> int:
                row = ev.submit(
                    uow,
                    principal=_resident(rid),
                    indicator="PC01",  # noqa: B023
                    deed_date=today - timedelta(days=days),
                    description=text,
                    uploads=[Upload("photo.png", _photo(rng))],
                )
                return row.id

            deed(a, "在菜场拾到钱包，交还失主", 1)  # in grid mutual evaluation
            counts["grid_review"] += 1
            i = deed(b, "拾到手机一部，交到村委会", 2)  # in village review
            ev.vote(uow, principal=worker, item_id=i, confirm=True)
            counts["village_review"] += 1
            i = deed(a, "拾到老人遗落的存折，送还本人", 3)  # posted
            ev.vote(uow, principal=worker, item_id=i, confirm=True)
            ev.approve(uow, principal=officer, item_id=i, points=3)
            counts["posted"] += 1
            i = deed(b, "捡到雨伞一把", 4)  # rejected, with a reason
            ev.vote(uow, principal=worker, item_id=i, confirm=True)
            ev.reject(uow, principal=officer, item_id=i, reason="物品价值较小，不属于本项拾金不昧的认定范围")
            counts["rejected"] += 1
            ev.propose_deduction(
                uow,
                principal=officer,
                resident_id=b,
                indicator="PC04",
                points=3,
                deed_date=today - timedelta(days=2),
                description="经劝导后仍在田间焚烧秸秆",
                uploads=[Upload("scene.png", _photo(rng))],
            )  # waits for a 2nd officer
            counts["deduction_waiting"] += 1
            d = ev.propose_deduction(
                uow,
                principal=officer,
                resident_id=a,
                indicator="PE04",
                points=20,
                deed_date=today - timedelta(days=6),
                description="经法院判决合同违约未履行",
                uploads=[Upload("judgment.png", _photo(rng))],
            )
            ev.approve(uow, principal=officer_b, item_id=d.id)  # in its objection window
            counts["deduction_notice"] += 1
            ev.object_to(
                uow,
                principal=_resident(a),
                item_id=d.id,  # ... and objected to
                statement="判决确定的款项已于上月付清，附银行回单",
            )
            counts["objections"] += 1
            for owner, confirmer in ((a, b), (a, b), (b, a), (b, a)) if ring else ():  # a confirmation ring
                i = deed(owner, "帮邻居搬运物品", 1)
                ev.vote(uow, principal=_resident(confirmer), item_id=i, confirm=True)
            counts["rings"] += len(ev.ring_flags(uow, principal=officer))
            uow.commit()
    firsts = [plan[4] for plan in plans]  # the first resident of each village (the sample resident first)
    counts["department"] = _department_records(container, firsts, seed=seed)
    return (
        f"evaluation: {len(plans)} villages with deeds in flight ({counts['grid_review']} in grid review, "
        f"{counts['village_review']} in village review, {counts['posted']} posted, {counts['rejected']} "
        f"rejected, {counts['department']} department records sent), "
        f"{counts['deduction_waiting'] + counts['deduction_notice']} pending deductions, "
        f"{counts['objections']} objections, {counts['rings']} ring flags"
    )
