package fwi.cloud.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.latency.LatencyModel;
import fwi.cloud.latency.LayerKey;
import fwi.cloud.latency.LinearMacsModel;
import fwi.runtime.ort.RunnerOptions;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PlannersTest {
  private static final String SHA = "0".repeat(64);

  @Test
  void layerChannelsPredictExactlyTheParamsAndMacsOfThePrunedModel() throws Exception {
    for (ModelProto m : List.of(Fixtures.inversionNet(0.25), Fixtures.residual(), Fixtures.concat(), Fixtures.depthwise(),
        Fixtures.flattenGemm())) {
      ChannelGraph cg = ChannelGraph.analyze(m);
      LayerChannels lc = new LayerChannels(cg);
      SplittableRandom r = new SplittableRandom(1);
      for (int trial = 0; trial < 3; trial++) {
        Map<Integer, Integer> keep = new HashMap<>();
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (ChannelGroup g : cg.prunable()) {
          int k = 1 + r.nextInt(g.channels());
          keep.put(g.id(), k);
          byName.put(g.name(), k);
        }
        PruneResult p = Pruner.prune(cg, SHA, new PrunePlan("layers", byName, Map.of()), Criterion.L1, 0);
        assertEquals(p.after().params(), lc.params(keep), m.getGraph().getName() + " params");
        assertEquals(p.after().macs(), lc.macs(keep), m.getGraph().getName() + " MACs");
      }
    }
  }

  private static LinearMacsModel linear(ModelProto m, double interceptMs, double msPerMac) throws Exception {
    Map<String, LinearMacsModel.LayerMacs> layers = new LinkedHashMap<>();
    for (LayerKey k : LayerKey.of(m)) {
      layers.put(k.name(), LinearMacsModel.LayerMacs.of(k));
    }
    return new LinearMacsModel(interceptMs, msPerMac, layers);
  }

  @Test
  void latencyPlanMeetsTheTargetUnderTheModelAndTheMacsOfThePrunedModelAgree() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.25);
    ChannelGraph cg = ChannelGraph.analyze(m);
    long macs = fwi.cloud.graph.ModelCounter.count(m).macs();
    LinearMacsModel model = linear(m, 1.0, 10.0 / macs); // 1 ms fixed + 10 ms at full size
    PrunePlan plan = LatencyPlanner.plan(cg, model, 4.0, Criterion.L1, 0, 1, 0.9);
    PruneResult r = Pruner.prune(cg, SHA, plan, Criterion.L1, 0);
    double predicted = 1.0 + 10.0 * r.after().macs() / macs;
    assertTrue(predicted <= 4.0 + 1e-9, "predicted " + predicted);
    assertTrue(predicted > 3.0, "greedy stops soon after the target: " + predicted);
    assertEquals(Double.parseDouble(plan.settings().get("predicted_ms")), predicted, 1e-3);
  }

  @Test
  void latencyPlanPrunesWhereTheModelSaysTimeGoes() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.25);
    ChannelGraph cg = ChannelGraph.analyze(m);
    // A latency model in which only convblock8's output channels cost time.
    LatencyModel onlyBottleneck = ch -> ch.get("convblock8")[1] / 10.0;
    PrunePlan plan = LatencyPlanner.plan(cg, onlyBottleneck, 6.5, Criterion.L1, 0, 1, 0.9);
    assertEquals(64, plan.keep().get("convblock8"));
    plan.keep().forEach((g, k) -> {
      if (!g.equals("convblock8")) {
        assertEquals(cg.group(g).orElseThrow().channels(), k, g + " costs nothing, so keeps everything");
      }
    });
  }

  @Test
  void unreachableLatencyTargetNamesTheBestPrediction() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.125);
    ChannelGraph cg = ChannelGraph.analyze(m);
    long macs = fwi.cloud.graph.ModelCounter.count(m).macs();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LatencyPlanner.plan(cg, linear(m, 2.0, 10.0 / macs), 1.0, Criterion.L1, 0, 1, 0.9));
    assertTrue(e.getMessage().startsWith("target latency 1.000 ms cannot be met: the smallest model allowed"),
        e.getMessage());
  }

  @Test
  void sensitivityPlanPrunesTheLeastSensitiveGroupsFirstUntilTheMacsTargetIsMet() throws Exception {
    ModelProto m = Fixtures.livelyInversionNet(0.125);
    ChannelGraph cg = ChannelGraph.analyze(m);
    List<SensitivityPlanner.Sensitivity> s = SensitivityPlanner.measure(cg, Fixtures.gathers(2, 4), 0.5, Criterion.L1, 0,
        new RunnerOptions(1));
    assertEquals(cg.prunable().size(), s.size());
    assertTrue(s.stream().allMatch(x -> x.rmsChange() >= 0));
    assertTrue(s.stream().anyMatch(x -> x.rmsChange() > 0));
    long target = fwi.cloud.graph.ModelCounter.count(m).macs() * 7 / 10;
    PrunePlan plan = SensitivityPlanner.plan(cg, s, new SensitivityPlanner.Target(SensitivityPlanner.Measure.MACS, target),
        0.5, 0.9, 1);
    PruneResult r = Pruner.prune(cg, SHA, plan, Criterion.L1, 0);
    assertTrue(r.after().macs() <= target, r.after().macs() + " > " + target);
    SensitivityPlanner.Sensitivity least = s.stream().min(java.util.Comparator.comparingDouble(
        SensitivityPlanner.Sensitivity::rmsChange)).orElseThrow();
    SensitivityPlanner.Sensitivity most = s.stream().max(java.util.Comparator.comparingDouble(
        SensitivityPlanner.Sensitivity::rmsChange)).orElseThrow();
    assertTrue(r.channels().get(least.group())[1] < r.channels().get(least.group())[0], "least sensitive is pruned");
    assertEquals(r.channels().get(most.group())[0], r.channels().get(most.group())[1], "most sensitive is kept whole");
  }

  @Test
  void sensitivityTargetBeyondReachIsRefused() throws Exception {
    ChannelGraph cg = ChannelGraph.analyze(Fixtures.inversionNet(0.125));
    List<SensitivityPlanner.Sensitivity> s = cg.prunable().stream()
        .map(g -> new SensitivityPlanner.Sensitivity(g.name(), 1.0)).toList();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SensitivityPlanner.plan(cg, s,
        new SensitivityPlanner.Target(SensitivityPlanner.Measure.PARAMS, 10), 0.5, 0.9, 1));
    assertTrue(e.getMessage().startsWith("params target 10 cannot be met: with every group at ratio 0.9"), e.getMessage());
  }
}
