"""The experiment graph: nodes and edges declared from the claims before anything runs, levels from rates alone."""
import pytest

from lth.claimkit import arms
from lth.claimkit.plan import collect_claims, graph_for, planning_lab
from lth.core import models, pruning
from lth.experiments import presets
from lth.experiments.graph import Graph, Setting
from lth.experiments.planner import Planner


def _rounds_needed(node) -> set[int]:
    """Every pruning round a node needs, transitively."""
    out, stack = set(), list(node.needs)
    while stack:
        n = stack.pop()
        if n.spec.kind == "lenet-iterative-round":
            out.add(n.spec.round)
        stack.extend(n.needs)
    return out


@pytest.mark.parametrize("scale", ["smoke", "ci", "paper"])
def test_levels_map_to_rounds_from_the_rates_alone(scale):
    preset = presets.get(scale)
    planner = Planner(Setting(preset))
    arch = models.lenet_300_100()
    rates = pruning.paper_rates(arch.weight_names, preset.hidden_rate, preset.output_rate)
    counts = pruning.iterative_counts(784 * 300, rates["w0"], preset.rounds)
    assert planner.level(100) == 0 and planner.level(21) == 7 and planner.level(3.6) == 15
    assert planner.pms[1] == round(100 * ((counts[1] + 30_000 - 6_000 + 1_000 - 100) / 266_200), 2)
    assert planner.label(21.1) == "Pm 21.07%" and planner.label(51.3) == "Pm 51.28%"
    with pytest.raises(ValueError, match="no pruning round has Pm near 45"):
        planner.level(45)


def test_a_control_at_21_percent_needs_only_rounds_0_to_7_and_one_shot_only_round_0():
    planner = Planner(Setting(presets.get("ci")))
    for name in ("reinit", "random-pruning", "rearranged", "signed-constant", "ticket"):
        exp = planner.control(name, 21.1)
        assert all(_rounds_needed(n) == set(range(8)) for n in exp.nodes), name
        assert [n.chunk for n in exp.nodes] == Setting(presets.get("ci")).chunks("mnist")
    one_shot = planner.control("one-shot", 21.1)
    assert all(_rounds_needed(n) == {0} for n in one_shot.nodes)
    assert all(_rounds_needed(n) == set(range(16)) for n in planner.iterative().nodes)


def test_a_node_needs_only_its_own_chunk():
    planner = Planner(Setting(presets.get("ci")))
    for node in planner.control("reinit", 3.6).nodes:
        stack = list(node.needs)
        while stack:
            n = stack.pop()
            assert n.chunk == node.chunk
            stack.extend(n.needs)


def test_equal_nodes_are_one_node_and_the_critical_path_is_the_pruning_chain():
    setting = Setting(presets.get("ci"))
    planner = Planner(setting)
    graph = Graph().add_all([planner.control("reinit", 21.1), planner.control("reinit", 21.1), planner.iterative()])
    n_chunks = len(setting.chunks("mnist"))
    # 16 rounds + 1 summary + 1 control per chunk: the control's rounds are the chain's
    assert len(graph.nodes) == n_chunks * (16 + 1 + 1)
    steps, path = graph.critical_path()
    # rounds 0, 3, 7 and 15 (the preset's long_rounds) train once to the speed budget, 8,000 iterations
    assert steps == 12 * 2_000 + 4 * 8_000 and [n.spec.round for n in path[:16]] == list(range(16))


def test_plan_of_the_ci_claims_covers_every_experiment_and_counts_duplicates_once():
    lab = planning_lab(Setting(presets.get("ci")))
    claims = collect_claims(["claims"])
    graph = graph_for(claims, lab)
    t = graph.totals()
    ci = presets.get("ci")  # the longest chain: all 16 rounds (4 of them long), then the 3.6% LMC copies
    long = len(ci.long_rounds)
    assert len(claims) == 19 and t["critical_path_steps"] == ((16 - long) * ci.lenet_train.iterations
                                                              + long * ci.speed_train.iterations
                                                              + 2 * ci.lenet_train.iterations)
    # the speed tickets at the long rounds are those rounds' own runs: no training of their own
    speed_tickets = [n for n in graph.nodes.values() if n.spec.kind == "lenet-control" and n.spec.control == "ticket"
                     and n.spec.train.iterations == ci.speed_train.iterations]
    assert speed_tickets and all(n.trainings == 0 and n.needs[0].spec.kind == "lenet-iterative-round"
                                 for n in speed_tickets)
    assert t["unique_trainings"] == t["trainings"]  # at ci the speed budget differs from the rounds'
    kinds = {n.spec.kind for n in graph.nodes.values()}
    assert kinds == {"xor-dense", "xor-tickets", "lenet-dense", "lenet-iterative-round", "lenet-iterative",
                     "lenet-control", "lenet-supermask", "lenet-lmc"}
    one = graph_for(collect_claims(["claims"], keyword="MNIST-1 or wider_lenets"), lab)
    assert {n.spec.kind for n in one.nodes.values()} == {"lenet-dense", "lenet-iterative-round"}
    assert {n.spec.round for n in one.nodes.values() if n.spec.kind == "lenet-iterative-round"} == {0}


def test_paper_scale_speed_tickets_are_the_rounds_themselves():
    lab = planning_lab(Setting(presets.get("paper")))
    graph = graph_for([c for c in collect_claims(["claims"]) if c.id.startswith("MNIST-2")], lab)
    t = graph.totals()
    assert presets.get("paper").speed_train == presets.get("paper").lenet_train
    assert t["unique_trainings"] < t["trainings"]  # the speed tickets retrain rounds bit for bit: counted once


def test_arms_are_data_and_the_fashion_mnist_arms_are_the_mnist_arms_on_another_data_set():
    fm = arms.TICKET.on(arms.FASHION)
    assert fm.source == arms.TICKET.source and fm.dataset == "fashion-mnist" and fm.family == "fmnist"
    assert arms.SPEED_REINIT.family == "lenet-speed" and arms.XOR_TICKET.family == "xor"
    with pytest.raises(ValueError, match="^unknown source 'nowhere'; known: iterative, round"):
        arms.Arm("x", "nowhere")
