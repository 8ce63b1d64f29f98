package fwi.edge.ota;

import fwi.edge.testing.Manifests;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import fwi.proto.v1.BlockResponse;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.OtaReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloadTest {
  /** 100 bytes: six blocks of 16 and a last one of 4. */
  private static final byte[] FILE = new byte[100];

  static {
    new Random(7).nextBytes(FILE);
  }

  private static final ManifestBody BODY = Manifests.body(FILE, "m", 1).build();
  private static final byte[] SIGNED = {1, 2, 3};

  @TempDir
  Path dir;

  private static BlockResponse.Builder block(int i) {
    byte[] data = Arrays.copyOfRange(FILE, i * 16, Math.min(FILE.length, i * 16 + 16));
    return BlockResponse.newBuilder()
        .setRequestId("r" + i)
        .setModelSha256(BODY.getSha256())
        .setBlockIndex(i)
        .setOffsetBytes(i * 16L)
        .setData(ByteString.copyFrom(data))
        .setBlockSha256(ByteString.copyFrom(DurableFiles.sha256(data)));
  }

  private static Download.Kind accept(Download d, BlockResponse.Builder r) throws IOException {
    return d.accept(r.build()).kind();
  }

  @Test
  void storesBlocksInAnyOrderIgnoresDuplicatesAndVerifiesTheWholeFile() throws Exception {
    try (Download d = Download.start(dir, BODY, SIGNED)) {
      assertEquals(7, d.blockCount());
      for (int i : new int[] {6, 0, 3, 0, 1, 5, 2, 4, 6}) {
        accept(d, block(i));
      }
      assertEquals(Download.Kind.DUPLICATE, accept(d, block(3)));
      assertTrue(d.complete());
      assertEquals(100, d.receivedBytes());
      assertArrayEquals(FILE, Files.readAllBytes(d.verify()));
    }
  }

  @Test
  void discardsABlockWithTheWrongOffsetLengthOrDigest() throws Exception {
    try (Download d = Download.start(dir, BODY, SIGNED)) {
      assertEquals(new Download.Outcome(Download.Kind.BAD, 2, "block 2: offset must be 32, but was 33"),
          d.accept(block(2).setOffsetBytes(33).build()));
      assertEquals(new Download.Outcome(Download.Kind.BAD, 6, "block 6: data must be 4 bytes, but was 3"),
          d.accept(block(6).setData(ByteString.copyFrom(FILE, 96, 3)).build()));
      byte[] flipped = Arrays.copyOfRange(FILE, 16, 32);
      flipped[5] ^= 1;
      assertEquals(new Download.Outcome(Download.Kind.BAD, 1, "block 1: sha256 must be "
              + DurableFiles.hex(BODY.getBlockSha256(1).toByteArray()) + " (manifest), but was "
              + DurableFiles.hex(DurableFiles.sha256(flipped))),
          d.accept(block(1).setData(ByteString.copyFrom(flipped))
              .setBlockSha256(ByteString.copyFrom(DurableFiles.sha256(flipped))).build()),
          "the signed per-block digest wins over the response's");
      assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), d.missingBlocks());
      assertEquals(0, d.receivedBytes());
    }
  }

  @Test
  void checksTheResponsesDigestWhenTheManifestHasNone() throws Exception {
    ManifestBody noDigests = BODY.toBuilder().clearBlockSha256().build();
    try (Download d = Download.start(dir, noDigests, SIGNED)) {
      Download.Outcome o = d.accept(block(0).setBlockSha256(ByteString.copyFrom(new byte[32])).build());
      assertEquals(Download.Kind.BAD, o.kind());
      assertEquals("block 0: sha256 must be " + "00".repeat(32) + " (response), but was "
          + DurableFiles.hex(DurableFiles.sha256(Arrays.copyOf(FILE, 16))), o.detail());
      assertEquals(Download.Kind.STORED, accept(d, block(0).clearBlockSha256()), "no digest to check: the file's decides");
    }
  }

  @Test
  void ignoresResponsesForAnotherModelOrABlockItDoesNotHave() throws Exception {
    try (Download d = Download.start(dir, BODY, SIGNED)) {
      assertEquals(Download.Kind.IGNORED, accept(d, block(0).setModelSha256(ByteString.copyFrom(new byte[32]))));
      assertEquals(Download.Kind.IGNORED, accept(d, block(0).setBlockIndex(7)));
      assertEquals(Download.Kind.IGNORED, accept(d, block(0).setBlockIndex(-1)));
      assertEquals(7, d.missingBlocks().size());
    }
  }

  @Test
  void resumesFromTheSavedProgressWithTheNextAttemptNumber() throws Exception {
    try (Download d = Download.start(dir, BODY, SIGNED)) {
      accept(d, block(0));
      accept(d, block(2));
    }

    try (Download d = Download.start(dir, BODY, SIGNED)) {
      assertEquals(2, d.attempt());
      assertEquals(List.of(1, 3, 4, 5, 6), d.missingBlocks());
      assertEquals(32, d.receivedBytes());
    }
  }

  @Test
  void fetchesAgainABlockWhoseBytesOnDiskNoLongerMatch() throws Exception {
    try (Download d = Download.start(dir, BODY, SIGNED)) {
      accept(d, block(0));
      accept(d, block(1));
    }
    try (FileChannel ch = FileChannel.open(dir.resolve(d(BODY) + ".part"), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {(byte) ~FILE[20]}), 20);
    }

    try (Download d = Download.start(dir, BODY, SIGNED)) {
      assertEquals(List.of(1, 2, 3, 4, 5, 6), d.missingBlocks());
    }
  }

  @Test
  void startsOverWhenTheProgressFileIsDamaged() throws Exception {
    try (Download d = Download.start(dir, BODY, SIGNED)) {
      accept(d, block(0));
    }
    Files.write(dir.resolve(d(BODY) + ".progress"), new byte[] {'F', 'W', 'I'});

    try (Download d = Download.start(dir, BODY, SIGNED)) {
      assertEquals(1, d.attempt());
      assertEquals(7, d.missingBlocks().size());
    }
  }

  @Test
  void verifyNamesTheExpectedAndActualSha256() throws Exception {
    byte[] other = FILE.clone();
    other[99] ^= 1;
    ManifestBody wrong = BODY.toBuilder().setSha256(ByteString.copyFrom(DurableFiles.sha256(other))).build();
    try (Download d = Download.start(dir, wrong, SIGNED)) {
      for (int i = 0; i < 7; i++) {
        accept(d, block(i).setModelSha256(wrong.getSha256()));
      }

      OtaException e = assertThrows(OtaException.class, d::verify);

      assertEquals(OtaReason.OTA_REASON_SHA256_MISMATCH, e.reason());
      assertEquals("model file sha256 must be " + DurableFiles.hex(DurableFiles.sha256(other)) + ", but was "
          + DurableFiles.hex(DurableFiles.sha256(FILE)), e.detail());
    }
  }

  @Test
  void listsSavedDownloadsAndDeletesFilesWithoutAManifest() throws Exception {
    try (Download d = Download.start(dir, BODY, SIGNED)) {
      accept(d, block(0));
    }
    Files.write(dir.resolve("ab.part"), new byte[] {1});

    List<Download.Pending> pending = Download.pending(dir);

    assertEquals(1, pending.size());
    assertEquals(d(BODY), pending.get(0).shaHex());
    assertArrayEquals(SIGNED, pending.get(0).signedManifest());
    assertFalse(Files.exists(dir.resolve("ab.part")));

    Download.deleteFiles(dir, d(BODY));
    assertEquals(List.of(), Download.pending(dir));
  }

  private static String d(ManifestBody b) {
    return DurableFiles.hex(b.getSha256().toByteArray());
  }
}
