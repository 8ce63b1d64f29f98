package fwi.cloud.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.google.protobuf.ByteString;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.ChannelGraph;
import fwi.cloud.prune.Criterion;
import fwi.cloud.prune.Plans;
import fwi.cloud.prune.PruneResult;
import fwi.cloud.prune.Pruner;
import fwi.proto.v1.LayerPruning;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.PruneMethod;
import fwi.proto.v1.PrunePlanSummary;
import fwi.proto.v1.QualityMetrics;
import fwi.proto.v1.SignedManifest;
import fwi.proto.v1.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {
  private static final long NOW_MS = 1_790_000_000_123L;
  private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW_MS), ZoneOffset.UTC);
  private static final int BLOCK = 4096;
  private static byte[] small;
  private static byte[] other;
  private static byte[] third;

  @TempDir
  Path dir;

  @BeforeAll
  static void models() {
    small = InversionNet.build(InversionNetConfig.defaults().withWidth(0.05)).toByteArray();
    other = InversionNet.build(InversionNetConfig.defaults().withWidth(0.05).withSeed(1)).toByteArray();
    third = InversionNet.build(InversionNetConfig.defaults().withWidth(0.05).withSeed(2)).toByteArray();
  }

  private ModelRegistry open(ManifestSigner signer) throws IOException {
    return ModelRegistry.open(dir, new ModelStore(dir), signer, RegistrySettings.defaults().withBlockSizeBytes(BLOCK),
        CLOCK);
  }

  private static byte[] sha256(byte[] b, int from, int to) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Arrays.copyOfRange(b, from, to));
  }

  private static QualityMetrics quality() {
    return QualityMetrics.newBuilder().setMaeMPerS(41.5).setRmseMPerS(77.25).setSsim(0.82)
        .setEvalDatasetId("openfwi-flatvel-a/test").setEvalSampleCount(500).build();
  }

  @Test
  void versionsIncreasePerProfileAndSurviveARestart() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");
    try (ModelRegistry r = open(signer)) {
      assertEquals(1, r.register("pi-4b", small, "a.onnx", Registration.none()).version());
      assertEquals(2, r.register("pi-4b", other, "b.onnx", Registration.none()).version());
      assertEquals(1, r.register("pi-5", small, "a.onnx", Registration.none()).version());
    }

    try (ModelRegistry r = open(signer)) {
      assertEquals(List.of("pi-4b", "pi-5"), r.profiles());
      assertEquals(2, r.latest("pi-4b").orElseThrow().version());
      RegisteredModel v3 = r.register("pi-4b", third, "c.onnx", Registration.none());
      assertEquals(3, v3.version());
      assertEquals("inversionnet-pi-4b-v3", v3.modelId());
      assertEquals(List.of(1L, 2L, 3L), r.models("pi-4b").stream().map(RegisteredModel::version).toList());
      assertEquals(List.of(), r.models("pi-zero-2w"));
    }
  }

  @Test
  void registeringTheSameFileAgainForAProfileReturnsItsVersion() throws Exception {
    try (ModelRegistry r = open(TestKeys.signer("k"))) {
      RegisteredModel first = r.register("pi-4b", small, "a.onnx", Registration.none());
      r.register("pi-4b", other, "b.onnx", Registration.none());

      RegisteredModel again = r.register("pi-4b", small, "a-again.onnx", Registration.none().withQuality(quality()));

      assertEquals(first, again);
      assertEquals(2, r.models("pi-4b").size());
    }
  }

  @Test
  void manifestDescribesTheFileAsDevicesCheckIt() throws Exception {
    ManifestSigner signer = TestKeys.signer("manifest-test");
    ModelSummary counted = ModelCounter.count(OnnxModels.parse(small, "small"));
    try (ModelRegistry r = open(signer)) {
      RegisteredModel m = r.register("pi-4b", small, "small.onnx", Registration.none().withQuality(quality()));

      SignedManifest signed = r.manifest("pi-4b", m.version());

      ManifestBody b = signer.verify(signed).orElseThrow();
      assertEquals("manifest-test", signed.getKeyId());
      assertEquals(1, b.getSchemaVersion());
      assertEquals("inversionnet-pi-4b-v1", b.getModelId());
      assertEquals(1, b.getVersion());
      assertEquals("pi-4b", b.getProfileName());
      assertEquals(List.of(), b.getTargetDeviceIdsList());
      assertFalse(b.getRollback());
      assertEquals(0, b.getRollbackFromVersion());
      assertFalse(b.hasBaseModel());
      assertFalse(b.hasPlan());
      assertEquals(NOW_MS, b.getCreatedUnixMs());
      assertEquals(counted.params(), b.getParamCount());
      assertEquals(counted.macs(), b.getMacs());
      assertEquals(quality(), b.getQuality());
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(small), b.getSha256().toByteArray());
      assertEquals(small.length, b.getSizeBytes());
      assertEquals(BLOCK, b.getBlockSizeBytes());
      int expectedBlocks = (small.length + BLOCK - 1) / BLOCK;
      assertEquals(expectedBlocks, b.getBlockCount());
      assertEquals(expectedBlocks, b.getBlockSha256Count());
      for (int i = 0; i < expectedBlocks; i++) {
        assertArrayEquals(sha256(small, i * BLOCK, Math.min(small.length, (i + 1) * BLOCK)),
            b.getBlockSha256(i).toByteArray(), "block " + i);
      }
      assertEquals(17, b.getOnnxOpset());
      assertEquals(8, b.getOnnxIrVersion());
      assertEquals(List.of(TensorSpec.newBuilder().setName("gathers").setElementType("FLOAT")
          .addAllDims(List.of(-1L, 5L, 1000L, 70L)).build()), b.getInputsList());
      assertEquals(List.of(TensorSpec.newBuilder().setName("velocity").setElementType("FLOAT")
          .addAllDims(List.of(-1L, 1L, 70L, 70L)).build()), b.getOutputsList());
    }
  }

  @Test
  void manifestsAreTheSameBytesAfterARestart() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");
    SignedManifest before;
    SignedManifest prunedBefore;
    byte[] pruned = Pruning.uniform(small, 0.5).toByteArray();
    try (ModelRegistry r = open(signer)) {
      r.register("pi-4b", small, "small.onnx", Registration.none());
      r.register("pi-4b", pruned, "pruned.onnx", Registration.none().withQuality(quality()));
      before = r.manifestFor("pi-4b", 1, List.of("pi-1"));
      prunedBefore = r.manifest("pi-4b", 2);
    }

    try (ModelRegistry r = open(signer)) {
      assertEquals(before.toByteString(), r.manifestFor("pi-4b", 1, List.of("pi-1")).toByteString());
      assertEquals(prunedBefore.toByteString(), r.manifest("pi-4b", 2).toByteString());
    }
  }

  @Test
  void aPrunedModelGetsItsPlanSummaryAndBaseModelFromItsMetadata() throws Exception {
    ModelProto base = OnnxModels.parse(small, "small");
    PruneResult pruned = Pruner.prune(base, OnnxModels.sha256(small), Plans.uniform(ChannelGraph.analyze(base), 0.5, 1),
        Criterion.L1, 0);
    long before = pruned.channels().values().stream().mapToLong(c -> c[0]).sum();
    long after = pruned.channels().values().stream().mapToLong(c -> c[1]).sum();
    try (ModelRegistry r = open(TestKeys.signer("k"))) {
      RegisteredModel v1 = r.register("pi-4b", small, "small.onnx", Registration.none());

      RegisteredModel v2 = r.register("pi-4b", pruned.model().toByteArray(), "pruned.onnx", Registration.none());

      ManifestBody b = r.manifestBody("pi-4b", v2.version(), List.of());
      assertEquals(v1.ref(), b.getBaseModel());
      assertEquals(PruneMethod.PRUNE_METHOD_UNIFORM_L1, b.getPlan().getMethod());
      assertEquals(1 - (double) after / before, b.getPlan().getChannelRatio(), 1e-12);
      assertEquals(pruned.channels().size(), b.getPlan().getLayersCount());
      for (LayerPruning l : b.getPlan().getLayersList()) {
        int[] expected = pruned.channels().get(l.getLayerName());
        assertArrayEquals(expected, new int[] {l.getChannelCountBefore(), l.getChannelCountAfter()}, l.getLayerName());
      }
      assertEquals(pruned.after().params(), b.getParamCount());
      assertEquals(pruned.after().macs(), b.getMacs());
    }
  }

  @Test
  void theJobsPlanSummaryOverridesWhatTheMetadataSays() throws Exception {
    byte[] pruned = Pruning.uniform(small, 0.25).toByteArray();
    PrunePlanSummary fromJob = PrunePlanSummary.newBuilder().setJobId("job-7").setPredictedLatencyP95Us(81_000)
        .setFineTuneEpochs(3).setChannelRatio(0.3).build();
    try (ModelRegistry r = open(TestKeys.signer("k"))) {
      RegisteredModel m = r.register("pi-3b", pruned, "p.onnx", Registration.none().withPlan(fromJob));

      PrunePlanSummary p = r.manifestBody("pi-3b", m.version(), List.of()).getPlan();
      assertEquals("job-7", p.getJobId());
      assertEquals(81_000, p.getPredictedLatencyP95Us());
      assertEquals(3, p.getFineTuneEpochs());
      assertEquals(0.3, p.getChannelRatio());
      assertEquals(PruneMethod.PRUNE_METHOD_UNIFORM_L1, p.getMethod());
      assertTrue(p.getLayersCount() > 0);
      assertEquals(HexFormat.of().formatHex(m.baseModel().orElseThrow().getSha256().toByteArray()),
          OnnxModels.sha256(small));
      assertEquals("", m.baseModel().orElseThrow().getModelId()); // the base is not registered
    }
  }

  @Test
  void aCanaryManifestDiffersFromTheProfileWideOneOnlyInItsTargets() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");
    try (ModelRegistry r = open(signer)) {
      r.register("pi-4b", small, "small.onnx", Registration.none());

      ManifestBody canary = signer.verify(r.manifestFor("pi-4b", 1, List.of("pi-0001", "pi-0002"))).orElseThrow();
      ManifestBody wider = signer.verify(r.manifestFor("pi-4b", 1, List.of("pi-0001", "pi-0002", "pi-0003",
          "pi-0004"))).orElseThrow();
      ManifestBody all = signer.verify(r.manifest("pi-4b", 1)).orElseThrow();

      assertEquals(List.of("pi-0001", "pi-0002"), canary.getTargetDeviceIdsList());
      assertEquals(4, wider.getTargetDeviceIdsCount());
      assertEquals(all, canary.toBuilder().clearTargetDeviceIds().build());
      assertEquals(all, wider.toBuilder().clearTargetDeviceIds().build());
    }
  }

  @Test
  void refusesTargetsDevicesCouldNotMatch() throws Exception {
    try (ModelRegistry r = open(TestKeys.signer("k"))) {
      r.register("pi-4b", small, "small.onnx", Registration.none());

      IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
          () -> r.manifestFor("pi-4b", 1, List.of("pi/0001")));
      IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
          () -> r.manifestFor("pi-4b", 1, List.of("pi-1", "pi-1")));

      assertEquals("target device id must match [A-Za-z0-9_-]{1,64}, but was 'pi/0001'", bad.getMessage());
      assertEquals("target device ids must be distinct, but 'pi-1' is repeated", twice.getMessage());
    }
  }

  @Test
  void aRollbackManifestIsTheOlderModelMarkedAsASignedDowngradeBoundedByFromVersion() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");
    try (ModelRegistry r = open(signer)) {
      r.register("pi-4b", small, "a.onnx", Registration.none());
      r.register("pi-4b", other, "b.onnx", Registration.none());
      r.register("pi-4b", third, "c.onnx", Registration.none());

      ManifestBody rb = signer.verify(r.rollbackManifest("pi-4b", 1, 3)).orElseThrow();
      ManifestBody canary = signer.verify(r.rollbackManifest("pi-4b", 2, 3, List.of("pi-9"))).orElseThrow();

      assertTrue(rb.getRollback());
      assertEquals(1, rb.getVersion());
      assertEquals(3, rb.getRollbackFromVersion());
      assertEquals(r.manifestBody("pi-4b", 1, List.of()), rb.toBuilder().setRollback(false).setRollbackFromVersion(0)
          .build());
      assertEquals(List.of("pi-9"), canary.getTargetDeviceIdsList());
      assertEquals(2, canary.getVersion());
      // A device accepts it only if version < active <= rollback_from_version:
      assertTrue(rb.getVersion() < 3 && 3 <= rb.getRollbackFromVersion());
    }
  }

  @Test
  void refusesRollbacksNoDeviceCouldApplyOrThatReachPastTheLineage() throws Exception {
    try (ModelRegistry r = open(TestKeys.signer("k"))) {
      r.register("pi-4b", small, "a.onnx", Registration.none());
      r.register("pi-4b", other, "b.onnx", Registration.none());

      IllegalArgumentException notAbove = assertThrows(IllegalArgumentException.class,
          () -> r.rollbackManifest("pi-4b", 2, 2));
      IllegalArgumentException pastLatest = assertThrows(IllegalArgumentException.class,
          () -> r.rollbackManifest("pi-4b", 1, 5));
      UnknownModelException unknown = assertThrows(UnknownModelException.class,
          () -> r.rollbackManifest("pi-4b", 7, 9));

      assertEquals("rollback_from_version must be above the version rolled back to (2), but was 2", notAbove.getMessage());
      assertEquals("rollback_from_version must be at most profile 'pi-4b''s latest version 2, but was 5",
          pastLatest.getMessage());
      assertEquals("profile 'pi-4b' has no model version 7; its versions are [1, 2]", unknown.getMessage());
    }
  }

  @Test
  void answersTheBlockLayoutOfARegisteredFileBySha256() throws Exception {
    try (ModelRegistry r = open(TestKeys.signer("k"))) {
      RegisteredModel m = r.register("pi-4b", small, "a.onnx", Registration.none());

      BlockLayout l = r.blockLayout(m.sha256Hex()).orElseThrow();

      assertEquals(new BlockLayout(OnnxModels.sha256(small), small.length, BLOCK), l);
      assertEquals((small.length - 1) / BLOCK + 1, l.blockCount());
      assertEquals(small.length - (long) (l.blockCount() - 1) * BLOCK, l.length(l.blockCount() - 1));
      assertEquals(Optional.empty(), r.blockLayout(OnnxModels.sha256(other)));
    }
  }

  @Test
  void aFileKeepsTheBlockSizeOfItsFirstRegistration() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");
    try (ModelRegistry r = open(signer)) {
      r.register("pi-4b", small, "a.onnx", Registration.none());
    }
    try (ModelRegistry r = ModelRegistry.open(dir, new ModelStore(dir), signer,
        RegistrySettings.defaults().withBlockSizeBytes(8192), CLOCK)) {
      RegisteredModel again = r.register("pi-5", small, "a.onnx", Registration.none());
      RegisteredModel fresh = r.register("pi-5", other, "b.onnx", Registration.none());

      assertEquals(BLOCK, again.blockSizeBytes());
      assertEquals(8192, fresh.blockSizeBytes());
    }
  }

  @Test
  void refusesToSignAManifestForAFileThatChangedOnDisk() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");
    String sha;
    try (ModelRegistry r = open(signer)) {
      sha = r.register("pi-4b", small, "a.onnx", Registration.none()).sha256Hex();
    }
    byte[] changed = small.clone();
    changed[changed.length / 2] ^= 1;
    Files.write(new ModelStore(dir).path(sha), changed);

    try (ModelRegistry r = open(signer)) {
      ModelIntegrityException e = assertThrows(ModelIntegrityException.class, () -> r.manifest("pi-4b", 1));

      assertEquals(sha, e.expectedSha256());
      assertEquals(OnnxModels.sha256(changed), e.actualSha256());
    }
  }

  @Test
  void refusesAStateFileItCannotReadRatherThanStartingOver() throws Exception {
    Files.writeString(dir.resolve("registry.json"), "{\"format\": \"fwi.model-registry\", \"formatVersion\": 2}");

    IOException e = assertThrows(IOException.class, () -> open(TestKeys.signer("k")));

    assertEquals(dir.resolve("registry.json") + ": registry state cannot be read (formatVersion must be 1 (this build "
        + "reads no other), but was 2); refusing to start with an empty registry, which would hand out versions again. "
        + "Restore the file or move it away deliberately.", e.getMessage());
  }

  @Test
  void aSecondRegistryOnTheSameDirectoryIsRefused() throws Exception {
    try (ModelRegistry r = open(TestKeys.signer("k"))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> open(TestKeys.signer("k")));

      assertEquals("registry directory " + dir + " must have one owner, but another registry holds "
          + dir.resolve("registry.lock"), e.getMessage());
    }
  }

  @Test
  void refusesInvalidProfilesUnknownVersionsAndNonModels() throws Exception {
    try (ModelRegistry r = open(TestKeys.signer("k"))) {
      IllegalArgumentException profile = assertThrows(IllegalArgumentException.class,
          () -> r.register("Pi 4B", small, "a.onnx", Registration.none()));
      UnknownModelException unknown = assertThrows(UnknownModelException.class, () -> r.manifest("pi-4b", 1));
      InvalidModelException junk = assertThrows(InvalidModelException.class,
          () -> r.register("pi-4b", new byte[] {8, 1}, "junk.onnx", Registration.none()));

      assertEquals("profile name must match [a-z0-9-]{1,32}, but was 'Pi 4B'", profile.getMessage());
      assertEquals("profile 'pi-4b' has no model version 1; its versions are []", unknown.getMessage());
      assertTrue(junk.getMessage().startsWith("junk.onnx: "), junk.getMessage());
      assertEquals(List.of(), r.profiles());
    }
  }

  @Test
  void registersAFileFromDisk() throws Exception {
    Path f = Files.write(dir.resolve("in.onnx"), small);
    try (ModelRegistry r = open(TestKeys.signer("k"))) {
      RegisteredModel m = r.register("pi-4b", f, Registration.none());

      assertEquals(OnnxModels.sha256(small), m.sha256Hex());
      assertTrue(r.store().exists(m.sha256Hex()));
      assertEquals(ByteString.copyFrom(small), ByteString.copyFrom(r.store().readVerified(m.sha256Hex())));
    }
  }
}
