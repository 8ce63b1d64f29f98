package fwi.cloud.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.latency.LatencyModel;
import fwi.cloud.latency.LatencyTable;
import fwi.cloud.latency.LayerGrid;
import fwi.cloud.latency.LayerKey;
import fwi.cloud.latency.LinearMacsModel;
import fwi.runtime.ort.RunnerOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
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
    for (LatencyPlanner.Method method : LatencyPlanner.Method.values()) {
      PrunePlan plan = LatencyPlanner.plan(cg, onlyBottleneck, 6.5, Criterion.L1, 0, 1, 0.9, method);
      assertEquals(64, plan.keep().get("convblock8"), method.cliName());
      plan.keep().forEach((g, k) -> {
        if (!g.equals("convblock8")) {
          assertEquals(cg.group(g).orElseThrow().channels(), k,
              method + ": " + g + " costs nothing, so keeps everything");
        }
      });
    }
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

  /**
   * A latency table for every layer of {@code m} whose times are not linear in MACs: small layers run
   * at a lower MAC rate (as on a real CPU), plus a fixed cost per layer.
   */
  private static LatencyTable syntheticTable(ModelProto m) throws Exception {
    List<LayerGrid> grids = new ArrayList<>();
    Map<String, LinearMacsModel.LayerMacs> macs = new LinkedHashMap<>();
    for (LayerKey k : LayerKey.of(m)) {
      List<Integer> cin = levels(k.inChannels());
      List<Integer> cout = levels(k.outChannels());
      List<List<Double>> ms = new ArrayList<>();
      for (int i : cin) {
        List<Double> row = new ArrayList<>();
        for (int o : cout) {
          double efficiency = 0.4 + 0.6 * Math.sqrt((double) i * o / ((double) k.inChannels() * k.outChannels()));
          row.add(0.02 + 2e-8 * k.macs(i, o) / efficiency);
        }
        ms.add(row);
      }
      grids.add(new LayerGrid(k, cin, cout, ms));
      macs.put(k.name(), LinearMacsModel.LayerMacs.of(k));
    }
    LatencyTable.Provenance prov = new LatencyTable.Provenance("synthetic", "0".repeat(64), 1, 0, 1, "none", "none",
        "2025-01-01T00:00:00Z", 0);
    double layersMs = grids.stream().mapToDouble(LayerGrid::fullMs).sum();
    return new LatencyTable(LatencyTable.FORMAT, prov, List.of(1.0, 0.75, 0.5, 0.25), layersMs + 0.5, 0.5, 1.0,
        List.of(new LatencyTable.CalibrationPoint(1.0, 1, layersMs, layersMs + 0.5)), grids,
        new LinearMacsModel(0.5, 1e-8, macs));
  }

  private static List<Integer> levels(int c) {
    TreeSet<Integer> l = new TreeSet<>();
    for (int q = 1; q <= 4; q++) {
      l.add(Math.max(1, c * q / 4));
    }
    return List.copyOf(l);
  }

  /** The latency {@code model} predicts for a pruned model, from the channel counts of its own layers. */
  private static double predictedFromPrunedModel(LatencyModel model, ModelProto pruned) throws Exception {
    Map<String, int[]> channels = new LinkedHashMap<>();
    for (LayerKey k : LayerKey.of(pruned)) {
      channels.put(k.name(), new int[] {k.inChannels(), k.outChannels()});
    }
    return model.predictMs(channels);
  }

  @Test
  void knapsackMeetsTheTargetAndRetainsAtLeastAsMuchImportanceAsGreedy() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.25);
    ChannelGraph cg = ChannelGraph.analyze(m);
    long macs = fwi.cloud.graph.ModelCounter.count(m).macs();
    double gained = 0;
    for (LatencyModel model : List.of(linear(m, 1.0, 10.0 / macs), syntheticTable(m))) {
      double full = model.predictMs(Map.of());
      for (double fraction : new double[] {0.8, 0.6, 0.4}) {
        for (int roundTo : new int[] {1, 4}) {
          double target = full * fraction;
          PrunePlan greedy = LatencyPlanner.plan(cg, model, target, Criterion.L1, 0, roundTo, 0.9,
              LatencyPlanner.Method.GREEDY);
          PrunePlan knapsack = LatencyPlanner.plan(cg, model, target, Criterion.L1, 0, roundTo, 0.9,
              LatencyPlanner.Method.KNAPSACK);
          double g = Double.parseDouble(greedy.settings().get("retained_importance"));
          double k = Double.parseDouble(knapsack.settings().get("retained_importance"));
          double ms = predictedFromPrunedModel(model, Pruner.prune(cg, SHA, knapsack, Criterion.L1, 0).model());
          String what = String.format(Locale.ROOT, "%s, target %.3f ms (%.2f of %.3f), round-to %d",
              model.getClass().getSimpleName(), target, fraction, full, roundTo);
          System.out.printf(Locale.ROOT, "%s: greedy retains %.3f at %s ms, knapsack %.3f at %.3f ms (of %s)%n",
              what, g, greedy.settings().get("predicted_ms"), k, ms, knapsack.settings().get("total_importance"));
          assertTrue(ms <= target + 1e-9, what + ": knapsack plan predicted at " + ms + " ms");
          assertEquals("knapsack", knapsack.settings().get("latency_method"));
          assertTrue(k >= g, what + ": knapsack retains " + k + " < greedy " + g);
          gained = Math.max(gained, k - g);
        }
      }
    }
    assertTrue(gained > 1, "the knapsack should beat the greedy search somewhere, but gained at most " + gained);
  }

  /** Importance a group retains keeping its {@code k} highest scores, each divided by the group's mean score. */
  private static double retained(ChannelGraph cg, ChannelGroup g, int k) throws Exception {
    double[] s = Importance.scores(cg, g, Criterion.L1, 0);
    double mean = Arrays.stream(s).average().orElseThrow();
    double[] desc = Arrays.stream(s).map(v -> -v / mean).sorted().map(v -> -v).toArray();
    return Arrays.stream(desc, 0, k).sum();
  }

  @Test
  void knapsackFindsTheBestPlanThatBruteForceFindsOnATwoGroupNetwork() throws Exception {
    ModelProto m = Fixtures.residual();
    ChannelGraph cg = ChannelGraph.analyze(m);
    ChannelGroup a = cg.prunable().get(0);
    ChannelGroup b = cg.prunable().get(1);
    long macs = fwi.cloud.graph.ModelCounter.count(m).macs();
    LinearMacsModel model = linear(m, 0.5, 4.0 / macs);
    int greedyMissed = 0;
    for (double target : new double[] {3.7, 3.1, 2.3, 1.6, 0.9}) {
      // Every count from the full width down to round(0.1 C) is a candidate here: both groups are under 16 channels.
      double best = -1;
      String bestPlan = "";
      for (int ka = Plans.keep(a.channels(), 0.9, 1); ka <= a.channels(); ka++) {
        for (int kb = Plans.keep(b.channels(), 0.9, 1); kb <= b.channels(); kb++) {
          PrunePlan p = new PrunePlan("layers", Map.of(a.name(), ka, b.name(), kb), Map.of());
          double ms = predictedFromPrunedModel(model, Pruner.prune(cg, SHA, p, Criterion.L1, 0).model());
          double value = retained(cg, a, ka) + retained(cg, b, kb);
          if (ms <= target && value > best) {
            best = value;
            bestPlan = ka + "/" + kb;
          }
        }
      }
      PrunePlan k = LatencyPlanner.plan(cg, model, target, Criterion.L1, 0, 1, 0.9, LatencyPlanner.Method.KNAPSACK);
      PrunePlan g = LatencyPlanner.plan(cg, model, target, Criterion.L1, 0, 1, 0.9, LatencyPlanner.Method.GREEDY);
      System.out.printf(Locale.ROOT, "target %.1f ms: best %s retains %.4f, knapsack %s/%s %s, greedy %s/%s %s%n",
          target, bestPlan, best, k.keep().get(a.name()), k.keep().get(b.name()),
          k.settings().get("retained_importance"), g.keep().get(a.name()), g.keep().get(b.name()),
          g.settings().get("retained_importance"));
      assertEquals(best, Double.parseDouble(k.settings().get("retained_importance")), 1e-3, "target " + target);
      greedyMissed += Double.parseDouble(g.settings().get("retained_importance")) < best - 1e-3 ? 1 : 0;
    }
    assertTrue(greedyMissed > 0, "every target is easy: the greedy search finds the best plan too");
  }

  @Test
  void knapsackRefusesATargetBelowTheSmallestModelNamingTargetAndMinimum() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.125);
    ChannelGraph cg = ChannelGraph.analyze(m);
    long macs = fwi.cloud.graph.ModelCounter.count(m).macs();
    // The smallest model allowed keeps round(0.1 C) channels in every group: uniform pruning at the maximum ratio.
    long smallestMacs = Pruner.prune(cg, SHA, Plans.uniform(cg, 0.9, 1), Criterion.L1, 0).after().macs();
    double smallestMs = 2.0 + 10.0 * smallestMacs / macs;
    double target = (2.0 + smallestMs) / 2;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LatencyPlanner.plan(cg,
        linear(m, 2.0, 10.0 / macs), target, Criterion.L1, 0, 1, 0.9, LatencyPlanner.Method.KNAPSACK));
    assertEquals(String.format(Locale.ROOT, "target latency %.3f ms cannot be met: the smallest model "
        + "allowed (at most 0.900 of each layer's channels removed) is predicted at %.3f ms (unpruned 12.000 ms)",
        target, smallestMs), e.getMessage());
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
