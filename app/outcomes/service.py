"""Who sees what of an award (SPEC §1: each actor sees only its own data).

- The bureau: the whole outcome, as soon as the round is awarded (also before publishing).
- After publishing (awarded → published, and later states), an institution sees the public
  results (every group's status, winners and prices, volumes, payment standard) plus its own
  volumes, allocations, region suppliers, contract amount and prepayment; an enterprise sees
  the public results plus its own bids' fate and its own allocations and regions. Never
  another actor's rows: every query below filters by the caller.
- Before publishing, an institution or enterprise gets 409 (`wrong-state`): the results
  exist but are not public yet (the same answer whether or not the award has run).
"""

from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.actors.models import Institution
from app.auth.models import Role
from app.auth.service import Principal
from app.award.models import (
    OutcomeAllocation,
    OutcomeBid,
    OutcomeGroup,
    OutcomeInstitution,
    OutcomeRegion,
    OutcomeVolume,
    RoundOutcome,
)
from app.errors import WrongState
from app.outcomes.schemas import (
    AllocationRow,
    BidFate,
    ContractMoney,
    EnterpriseOutcome,
    GroupResult,
    InstitutionOutcome,
    RegionRow,
    RoundRef,
    VolumeRow,
    WinnerPublic,
)
from app.rounds.access import load_round
from app.rounds.lifecycle import RoundState, at_or_after
from app.rounds.models import Round


def bureau_outcome(session: Session, round_id: str) -> str:
    """The whole outcome, the canonical text `vbp simulate` prints."""
    r = load_round(session, round_id)
    stored = session.get(RoundOutcome, round_id)
    if stored is None:
        raise WrongState(
            f"round {round_id} has no outcome yet (it is {r.state.value}); run the award",
            state=r.state.value,
        )
    return stored.outcome


def _published(session: Session, round_id: str) -> Round:
    r = load_round(session, round_id)
    if not at_or_after(r.state, RoundState.published):
        raise WrongState(
            f"the results of round {round_id} are not published (it is {r.state.value})",
            state=r.state.value,
        )
    return r


def _groups(session: Session, round_id: str) -> list[GroupResult]:
    winners: dict[str, list[WinnerPublic]] = {}
    for b in session.exec(
        select(OutcomeBid)
        .where(OutcomeBid.round_id == round_id, col(OutcomeBid.won).is_(True))
        .order_by(col(OutcomeBid.group_id), col(OutcomeBid.winner_rank))
    ):
        assert b.price is not None and b.winner_rank is not None
        winners.setdefault(b.group_id, []).append(
            WinnerPublic(enterprise=b.enterprise_id, price=b.price, rank=b.winner_rank)
        )
    return [
        GroupResult(
            id=g.group_id,
            status=g.status,
            valid_bidders=g.valid_bidders,
            winner_cap=g.winner_cap,
            winners=winners.get(g.group_id, []),
            agreed_ratio=g.agreed_ratio,
            term_years=g.term_years,
            base_volume=g.base_volume,
            agreed_volume=g.agreed_volume,
            unallocated_volume=g.unallocated_volume,
            payment_standard=g.payment_standard,
        )
        for g in session.exec(
            select(OutcomeGroup)
            .where(OutcomeGroup.round_id == round_id)
            .order_by(col(OutcomeGroup.group_id))
        )
    ]


def _allocation(a: OutcomeAllocation) -> AllocationRow:
    return AllocationRow(
        institution=a.institution_id,
        group=a.group_id,
        enterprise=a.enterprise_id,
        volume=a.volume,
        role=a.role,
        price=a.price,
        amount=a.amount,
    )


def _region(r: OutcomeRegion) -> RegionRow:
    return RegionRow(
        region=r.region, group=r.group_id, primary=r.primary_enterprise, backup=r.backup_enterprise
    )


def _ref(r: Round) -> RoundRef:
    return RoundRef(id=r.id, name=r.name, state=r.state)


def institution_outcome(session: Session, round_id: str, institution_id: str) -> InstitutionOutcome:
    r = _published(session, round_id)
    volumes = list(
        session.exec(
            select(OutcomeVolume)
            .where(
                OutcomeVolume.round_id == round_id, OutcomeVolume.institution_id == institution_id
            )
            .order_by(col(OutcomeVolume.group_id))
        )
    )
    allocations = session.exec(
        select(OutcomeAllocation)
        .where(
            OutcomeAllocation.round_id == round_id,
            OutcomeAllocation.institution_id == institution_id,
        )
        .order_by(col(OutcomeAllocation.group_id), col(OutcomeAllocation.enterprise_id))
    )
    institution = session.get(Institution, institution_id)
    groups = [v.group_id for v in volumes]
    regions: Iterable[OutcomeRegion] = (
        session.exec(
            select(OutcomeRegion)
            .where(
                OutcomeRegion.round_id == round_id,
                OutcomeRegion.region == institution.region,
                col(OutcomeRegion.group_id).in_(groups),
            )
            .order_by(col(OutcomeRegion.group_id))
        )
        if institution is not None and groups
        else []
    )
    money = session.get(OutcomeInstitution, (round_id, institution_id))
    return InstitutionOutcome(
        round=_ref(r),
        institution=institution_id,
        groups=_groups(session, round_id),
        volumes=[
            VolumeRow(
                institution=v.institution_id,
                group=v.group_id,
                reported=v.reported,
                reviewed=v.reviewed,
                base_volume=v.base_volume,
                agreed_volume=v.agreed_volume,
                flag=v.flag,
            )
            for v in volumes
        ],
        allocations=[_allocation(a) for a in allocations],
        regions=[_region(x) for x in regions],
        contract=None
        if money is None
        else ContractMoney(
            annual_contract_amount=money.annual_contract_amount, prepayment=money.prepayment
        ),
    )


def enterprise_outcome(session: Session, round_id: str, enterprise_id: str) -> EnterpriseOutcome:
    r = _published(session, round_id)
    bids = session.exec(
        select(OutcomeBid)
        .where(OutcomeBid.round_id == round_id, OutcomeBid.enterprise_id == enterprise_id)
        .order_by(col(OutcomeBid.group_id))
    )
    allocations = session.exec(
        select(OutcomeAllocation)
        .where(
            OutcomeAllocation.round_id == round_id,
            OutcomeAllocation.enterprise_id == enterprise_id,
        )
        .order_by(col(OutcomeAllocation.institution_id), col(OutcomeAllocation.group_id))
    )
    regions = session.exec(
        select(OutcomeRegion)
        .where(
            OutcomeRegion.round_id == round_id,
            (col(OutcomeRegion.primary_enterprise) == enterprise_id)
            | (col(OutcomeRegion.backup_enterprise) == enterprise_id),
        )
        .order_by(col(OutcomeRegion.group_id), col(OutcomeRegion.region))
    )
    return EnterpriseOutcome(
        round=_ref(r),
        enterprise=enterprise_id,
        groups=_groups(session, round_id),
        bids=[
            BidFate(
                group=b.group_id,
                ucp=b.ucp,
                valid=b.valid,
                qualified=b.qualified,
                rank=b.rank,
                reason=b.reason,
                won=b.won,
                winner_rank=b.winner_rank,
                price=b.price,
            )
            for b in bids
        ],
        allocations=[_allocation(a) for a in allocations],
        regions=[_region(x) for x in regions],
    )


def outcome_for(
    session: Session, round_id: str, viewer: Principal
) -> str | InstitutionOutcome | EnterpriseOutcome:
    if viewer.role is Role.bureau:
        return bureau_outcome(session, round_id)
    assert viewer.actor_id is not None
    if viewer.role is Role.institution:
        return institution_outcome(session, round_id, viewer.actor_id)
    return enterprise_outcome(session, round_id, viewer.actor_id)
