package fwi.edge.ota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import fwi.edge.inference.ModelInfo;
import fwi.edge.testing.Manifests;
import fwi.edge.testing.TestModels;
import fwi.proto.v1.BlockResponse;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.OtaReason;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.ort.TensorSpec;
import fwi.testing.Fuzz;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile bytes on the agent's OTA path: manifests as received (anyone who can publish to the
 * manifest topic), manifest bodies signed with the trusted key (the signer's mistakes), block
 * responses, and model files at the install's smoke test. Verification never throws: it accepts
 * only a well-signed, well-formed body, or rejects with a known reason and a detail; an accepted
 * body starts a download without allocating what its block count claims beyond a bound; a block
 * response is stored or ignored; a model is loaded or refused with {@link OtaException}.
 * {@code -Dfwi.fuzz.tries=100000} for a long run.
 */
class OtaFuzzTest {
  private static final int TRIES = 400;
  private static final byte[] FILE = TestModels.plus(1600, -1, 4);
  private static final ManifestVerifier.DeviceState ACTIVE_V1 = new ManifestVerifier.DeviceState(
      Optional.of(new ModelInfo("inv", 1, "ab".repeat(32))), Optional.of(new TensorSpec("x", new long[] {-1, 4})),
      Optional.of(new TensorSpec("y", new long[] {-1, 4})), 1L << 30);

  @TempDir
  Path dir;
  private final Manifests manifests = new Manifests();
  private final ManifestVerifier verifier = new ManifestVerifier(manifests.trusted(), Manifests.DEVICE,
      Manifests.PROFILE, 17, 8, 1 << 20);

  private List<byte[]> bodies() {
    return List.of(Manifests.body(FILE, "inv-v2", 2).build().toByteArray(),
        Manifests.body(FILE, "inv-v3", 3, 64).addTargetDeviceIds(Manifests.DEVICE).build().toByteArray(),
        Manifests.body(FILE, "inv-v1", 1).setRollback(true).setRollbackFromVersion(2).build().toByteArray());
  }

  /** Checks a verdict and, for an accepted body, starts (and discards) its download as the client would. */
  private void consistent(ManifestVerifier.Verdict v, byte[] payload) throws IOException {
    if (v instanceof ManifestVerifier.Rejection r) {
      assertTrue(r.reason() != OtaReason.OTA_REASON_UNSPECIFIED && !r.detail().isBlank(), r.toString());
      return;
    }
    ManifestVerifier.Accepted a = (ManifestVerifier.Accepted) v;
    assertEquals(Manifests.PROFILE, a.body().getProfileName());
    assertTrue(a.body().getVersion() > 1 || a.body().getRollback(), "accepted a manifest that is not newer: " + a.body());
    try (Download d = Download.start(dir, a.body(), payload)) {
      assertEquals(a.body().getBlockCount(), d.blockCount());
    }
    Download.deleteFiles(dir, a.model().sha256Hex());
  }

  @Test
  void rejectsHostileManifestEnvelopesWithAReason() {
    Fuzz.campaign("ota-manifest-envelope", input -> consistent(verifier.verify(input, ACTIVE_V1), input))
        .seeds(bodies().stream().map(b -> manifests.signed(ByteString.copyFrom(b), Manifests.KEY_ID)).toList())
        .run(TRIES);
  }

  private Fuzz.Campaign signedBodies() {
    return Fuzz.campaign("ota-manifest-signed-body", input -> {
      byte[] payload = manifests.signed(ByteString.copyFrom(input), Manifests.KEY_ID);
      consistent(verifier.verify(payload, ACTIVE_V1), payload);
    });
  }

  @Test
  void rejectsHostileSignedBodiesWithAReason() {
    signedBodies().seeds(bodies()).run(TRIES);
  }

  /**
   * A signed body of 2^28 one-byte blocks (a 256 MiB file, within the device's disk): refused as
   * malformed before the download allocates its per-block bookkeeping (32 MiB here; a count of
   * 2^31 or more would be negative as an int).
   */
  @Test
  void rejectsASignedBodyWithMoreBlocksThanADownloadCanTrack() {
    signedBodies().check(Manifests.body(FILE, "inv-v2", 2).setSizeBytes(1L << 28).setBlockSizeBytes(1)
        .setBlockCount(1 << 28).clearBlockSha256().build().toByteArray());
  }

  @Test
  void storesOrIgnoresHostileBlockResponses() throws IOException {
    ManifestBody body = Manifests.body(FILE, "inv-v2", 2).build();
    List<byte[]> seeds = new ArrayList<>();
    for (int i = 0; i < body.getBlockCount(); i += 2) {
      byte[] data = Arrays.copyOfRange(FILE, i * Manifests.BLOCK, Math.min(FILE.length, (i + 1) * Manifests.BLOCK));
      seeds.add(BlockResponse.newBuilder().setRequestId("r" + i).setModelSha256(body.getSha256()).setBlockIndex(i)
          .setOffsetBytes((long) i * Manifests.BLOCK).setData(ByteString.copyFrom(data)).build().toByteArray());
    }
    try (Download d = Download.start(dir, body, new byte[] {1})) {
      Fuzz.campaign("ota-block-response", input -> {
        Download.Outcome o = d.accept(BlockResponse.parseFrom(input));
        assertTrue(o.kind() != Download.Kind.STORED || d.has(o.block()), o.toString());
      }).documented(InvalidProtocolBufferException.class).seeds(seeds).run(TRIES);
    }
  }

  private static Fuzz.Campaign smokeTest() {
    SmokeTest smoke = new SmokeTest(new RunnerOptions(1), 100, 10_000, Duration.ofSeconds(5), 1);
    return Fuzz.campaign("ota-model-file", input -> smoke.run(input, "fuzz.onnx", Optional.empty()).runner().close())
        .documented(OtaException.class);
  }

  @Test
  void smokeTestLoadsOrRefusesHostileModelFiles() {
    smokeTest().seeds(List.of(FILE, TestModels.dividedBy(2, -1, 4), TestModels.unary("Relu", 1, 4))).run(TRIES / 4);
  }

  /** Found by fuzzing: a model whose input is a scalar made the reference input throw IllegalArgumentException. */
  @Test
  void smokeTestRefusesAModelWithAScalarInput() {
    smokeTest().check("CAg6PgoPCgF4EgF5GgFuIgRSZWx1EgFnWhMKAXgSDgoMCAESAggCCAEKAggEYhMKAXkSDgoMCAESCAoCCAEKAggEQgIQEQ==");
  }

  /** A model declaring a fixed input of 2^31 - 9 values: refused before its reference input is allocated. */
  @Test
  void smokeTestRefusesAModelWhoseInputIsTooLargeToAllocate() {
    smokeTest().check(TestModels.plus(1500, 1, 0x7fff_fff7L));
  }
}
