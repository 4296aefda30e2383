from moralbank.demo.evaluation import build_evaluation
from moralbank.evaluation import service as ev
from moralbank.evaluation.models import EvaluationItem, Objection


def test_demo_step_puts_items_at_every_stage(container, world):
    line = build_evaluation(container, scale="town", seed=1)
    assert line.startswith("evaluation: 1 villages")  # only grid G01 has two households
    with container.uow() as uow:
        states = {s for (s,) in uow.db.query(EvaluationItem.state)}
        assert {"grid_review", "village_review", "posted", "rejected", "confirm_review", "disputed"} <= states
        assert uow.db.query(Objection).count() >= 1
        assert len(ev.ring_flags(uow, principal=world.officer)) == 1
