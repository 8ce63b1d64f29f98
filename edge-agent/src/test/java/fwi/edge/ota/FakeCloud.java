package fwi.edge.ota;

import fwi.edge.testing.Manifests;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import fwi.proto.v1.BlockError;
import fwi.proto.v1.BlockErrorCode;
import fwi.proto.v1.BlockRequest;
import fwi.proto.v1.BlockResponse;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An in-memory "cloud" behind {@link OtaTransport}: it answers block requests from the files it
 * was given, like the OTA publisher will over MQTT, and records every status. Tests make it
 * misbehave (corrupt, drop, refuse, go offline). It answers synchronously inside
 * {@link #requestBlock}, which only enqueues the answer on the client's thread.
 */
final class FakeCloud implements OtaTransport {
  private static final Set<OtaState> TERMINAL = Set.of(OtaState.OTA_STATE_ACTIVE, OtaState.OTA_STATE_REJECTED,
      OtaState.OTA_STATE_FAILED, OtaState.OTA_STATE_ROLLED_BACK);

  private final Map<ByteString, byte[]> files = new ConcurrentHashMap<>();
  private final Map<Integer, Integer> corruptCopies = new ConcurrentHashMap<>();
  private final Map<Integer, BlockError> errors = new ConcurrentHashMap<>();
  private final LinkedBlockingQueue<OtaStatus> pending = new LinkedBlockingQueue<>();
  final List<OtaStatus> statuses = new CopyOnWriteArrayList<>();
  final List<BlockRequest> requests = new CopyOnWriteArrayList<>();
  volatile OtaClient client;
  volatile boolean online = true;
  /** Requests matching this are received but never answered. */
  volatile Predicate<BlockRequest> drop = r -> false;

  /** Serves {@code file} under its own SHA-256. */
  void publish(byte[] file) {
    publishAs(ByteString.copyFrom(DurableFiles.sha256(file)), file);
  }

  /** Serves {@code file} under {@code sha256}, whatever its content (a registry serving the wrong bytes). */
  void publishAs(ByteString sha256, byte[] file) {
    files.put(sha256, file.clone());
  }

  /** The next {@code copies} answers for {@code block} carry flipped bytes (with the flipped data's own digest). */
  void corrupt(int block, int copies) {
    corruptCopies.put(block, copies);
  }

  /** Every request for {@code block} is answered with this error. */
  void refuse(int block, BlockErrorCode code, int retryAfterMs) {
    errors.put(block, BlockError.newBuilder().setCode(code).setDetail("test refuses block " + block)
        .setRetryAfterMs(retryAfterMs).build());
  }

  void stopRefusing(int block) {
    errors.remove(block);
  }

  @Override
  public boolean requestBlock(BlockRequest.Builder request) {
    if (!online) {
      return false;
    }
    request.getHeaderBuilder().setSchemaVersion(1).setSenderId(Manifests.DEVICE).setSequence(requests.size() + 1);
    BlockRequest r = request.build();
    requests.add(r);
    if (drop.test(r)) {
      return true;
    }
    client.onBlock(answer(r).toByteArray());
    return true;
  }

  private BlockResponse answer(BlockRequest r) {
    BlockResponse.Builder b = BlockResponse.newBuilder()
        .setRequestId(r.getRequestId())
        .setModelSha256(r.getModelSha256())
        .setBlockIndex(r.getBlockIndex())
        .setOffsetBytes(r.getOffsetBytes());
    byte[] file = files.get(r.getModelSha256());
    BlockError refused = errors.get(r.getBlockIndex());
    if (refused != null) {
      return b.setError(refused).build();
    }
    if (file == null) {
      return b.setError(BlockError.newBuilder().setCode(BlockErrorCode.BLOCK_ERROR_CODE_UNKNOWN_MODEL)
          .setDetail("no such model")).build();
    }
    if (r.getOffsetBytes() >= file.length) {
      return b.setError(BlockError.newBuilder().setCode(BlockErrorCode.BLOCK_ERROR_CODE_OUT_OF_RANGE)
          .setDetail("offset " + r.getOffsetBytes() + " is beyond the file's " + file.length + " bytes")).build();
    }
    byte[] data = Arrays.copyOfRange(file, (int) r.getOffsetBytes(),
        (int) Math.min(file.length, r.getOffsetBytes() + r.getLengthBytes()));
    if (corruptCopies.merge(r.getBlockIndex(), -1, Integer::sum) >= 0) {
      data[0] ^= 0x5a;
    }
    return b.setData(ByteString.copyFrom(data)).setBlockSha256(ByteString.copyFrom(DurableFiles.sha256(data))).build();
  }

  @Override
  public void status(OtaStatus.Builder status) {
    status.getHeaderBuilder().setSchemaVersion(1).setSenderId(Manifests.DEVICE).setSequence(statuses.size() + 1);
    OtaStatus s = status.build();
    statuses.add(s);
    pending.add(s);
  }

  /** Waits for the next status in {@code state}, skipping others; fails after 30 s. */
  OtaStatus await(OtaState state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<OtaState> skipped = new ArrayList<>();
    while (true) {
      OtaStatus s = pending.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (s == null) {
        return fail("no status " + state + " within 30 s; saw " + skipped);
      }
      if (s.getState() == state) {
        return s;
      }
      skipped.add(s.getState());
    }
  }

  /** Waits for the next status that ends an update (ACTIVE, REJECTED, FAILED, ROLLED_BACK). */
  OtaStatus awaitEnd() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      OtaStatus s = pending.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (s == null) {
        return fail("no terminal status within 30 s; statuses: " + states());
      }
      if (TERMINAL.contains(s.getState())) {
        return s;
      }
    }
  }

  /** Forgets statuses not yet awaited (for example those of a client that was stopped). */
  void skipPending() {
    pending.clear();
  }

  /** States reported so far, in order. */
  List<OtaState> states() {
    return statuses.stream().map(OtaStatus::getState).toList();
  }

  /** Indices of the blocks requested so far, in order. */
  List<Integer> requestedBlocks() {
    return requests.stream().map(BlockRequest::getBlockIndex).toList();
  }
}
