package fwi.edge.ota;

import fwi.proto.v1.BlockError;
import fwi.proto.v1.BlockRequest;
import fwi.proto.v1.BlockResponse;
import fwi.proto.v1.OtaReason;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Keeps up to {@code maxInFlight} block requests of one {@link Download} outstanding and decides
 * what a response, a timeout or a server error means:
 * <ul>
 *   <li>a request unanswered after {@code blockTimeoutMs} is sent again; the block fails the
 *       download (DOWNLOAD_TIMEOUT) when it would need more than {@code maxRetries} re-sends;
 *   <li>INTERNAL (or an unknown code) is retried the same way, ending in BLOCK_UNAVAILABLE;
 *       RATE_LIMITED pauses all requests for {@code retry_after_ms} and costs no retry;
 *   <li>UNKNOWN_MODEL, NOT_ALLOWED, OUT_OF_RANGE and RANGE_MISMATCH end the download
 *       (BLOCK_UNAVAILABLE): asking again cannot help;
 *   <li>a block that fails a check is requested again at once; its {@code maxBadBlockCopies}-th
 *       bad copy ends the download (BLOCK_SHA256_MISMATCH);
 *   <li>a request the transport cannot send (offline) is tried again on the next pump and costs no retry.
 * </ul>
 * Responses may arrive late, twice or out of order; anything for another model is ignored.
 *
 * <p>Not thread-safe: owned by the OTA client's thread.
 */
final class BlockFetcher {
  private static final Logger LOG = Logger.getLogger(BlockFetcher.class);

  private record InFlight(int block, long sentAtMs) {
  }

  /** Why a block must be asked for again, and the reason to fail with once its retries are spent. */
  private record Retry(OtaReason reason, String what) {
  }

  private final Download download;
  private final OtaSettings settings;
  private final Map<String, InFlight> inFlight = new LinkedHashMap<>();
  /** Blocks whose last request timed out or met a retriable error, with what happened. */
  private final Map<Integer, Retry> toRetry = new HashMap<>();
  private final Map<Integer, Integer> retries = new HashMap<>();
  private final Map<Integer, Integer> badCopies = new HashMap<>();
  private long pausedUntilMs;
  private boolean offline;
  private long requestsSent;

  BlockFetcher(Download download, OtaSettings settings) {
    this.download = download;
    this.settings = settings;
  }

  boolean offline() {
    return offline;
  }

  long requestsSent() {
    return requestsSent;
  }

  int inFlightCount() {
    return inFlight.size();
  }

  /**
   * Sends requests for missing blocks until {@code maxInFlight} are outstanding.
   *
   * @throws OtaException DOWNLOAD_TIMEOUT or BLOCK_UNAVAILABLE when a block ran out of retries
   */
  void pump(OtaTransport transport, long nowMs) throws OtaException {
    if (nowMs < pausedUntilMs) {
      return;
    }
    for (int i = download.nextMissing(0); i >= 0 && inFlight.size() < settings.maxInFlight();
        i = download.nextMissing(i + 1)) {
      if (outstanding(i)) {
        continue;
      }
      Retry retry = toRetry.get(i);
      if (retry != null && retries.getOrDefault(i, 0) >= settings.maxRetries()) {
        throw new OtaException(retry.reason, "block " + i + " of " + download.blockCount() + ": " + retry.what
            + ", after " + settings.maxRetries() + " retries");
      }
      String id = UUID.randomUUID().toString();
      BlockRequest.Builder request = BlockRequest.newBuilder()
          .setRequestId(id)
          .setModelSha256(download.body().getSha256())
          .setBlockIndex(i)
          .setOffsetBytes(download.offset(i))
          .setLengthBytes((int) download.blockLength(i));
      boolean sent;
      try {
        sent = transport.requestBlock(request);
      } catch (RuntimeException e) {
        LOG.warnf(e, "sending the request for block %d failed; treating the transport as offline", i);
        sent = false;
      }
      if (!sent) {
        offline = true;
        return;
      }
      offline = false;
      requestsSent++;
      if (toRetry.remove(i) != null) {
        retries.merge(i, 1, Integer::sum);
      }
      inFlight.put(id, new InFlight(i, nowMs));
    }
  }

  /**
   * Handles one response.
   *
   * @return what the download did with it ({@code IGNORED} also for errors that only pause or retry)
   * @throws OtaException BLOCK_UNAVAILABLE or BLOCK_SHA256_MISMATCH when the download cannot go on
   * @throws IOException if the block cannot be written
   */
  Download.Outcome onResponse(BlockResponse r, long nowMs) throws IOException, OtaException {
    if (!r.getModelSha256().equals(download.body().getSha256())) {
      return new Download.Outcome(Download.Kind.IGNORED, -1, "response for another model");
    }
    InFlight answered = inFlight.remove(r.getRequestId());
    if (r.getPayloadCase() == BlockResponse.PayloadCase.ERROR) {
      onError(r, answered, nowMs);
      return new Download.Outcome(Download.Kind.IGNORED, r.getBlockIndex(), "error answer");
    }
    if (r.getPayloadCase() != BlockResponse.PayloadCase.DATA) {
      LOG.warnf("block response %s for block %d has neither data nor error; ignored", r.getRequestId(),
          r.getBlockIndex());
      if (answered != null) {
        toRetry.put(answered.block, new Retry(OtaReason.OTA_REASON_BLOCK_UNAVAILABLE, "answer without data or error"));
      }
      return new Download.Outcome(Download.Kind.IGNORED, r.getBlockIndex(), "empty answer");
    }
    Download.Outcome o = download.accept(r);
    if (o.kind() == Download.Kind.BAD) {
      int n = badCopies.merge(o.block(), 1, Integer::sum);
      LOG.warnf("discarded bad copy %d of block %d: %s", n, o.block(), o.detail());
      if (n >= settings.maxBadBlockCopies()) {
        throw new OtaException(OtaReason.OTA_REASON_BLOCK_SHA256_MISMATCH, n + " bad copies of block " + o.block()
            + "; last: " + o.detail());
      }
    }
    return o;
  }

  /**
   * Forgets requests unanswered for {@code blockTimeoutMs}; their blocks are requested again by the
   * next {@link #pump}.
   */
  void expire(long nowMs) {
    for (Iterator<InFlight> it = inFlight.values().iterator(); it.hasNext(); ) {
      InFlight f = it.next();
      if (nowMs - f.sentAtMs >= settings.blockTimeoutMs()) {
        it.remove();
        if (!download.has(f.block)) {
          toRetry.put(f.block, new Retry(OtaReason.OTA_REASON_DOWNLOAD_TIMEOUT,
              "no answer within " + settings.blockTimeoutMs() + " ms"));
        }
      }
    }
  }

  private void onError(BlockResponse r, InFlight answered, long nowMs) throws OtaException {
    BlockError e = r.getError();
    long block = Integer.toUnsignedLong(r.getBlockIndex());
    String what = "server answered " + e.getCode().name() + " for block " + block + " (offset "
        + Long.toUnsignedString(r.getOffsetBytes()) + "): '" + e.getDetail() + "'";
    switch (e.getCode()) {
      case BLOCK_ERROR_CODE_UNKNOWN_MODEL, BLOCK_ERROR_CODE_NOT_ALLOWED ->
          throw new OtaException(OtaReason.OTA_REASON_BLOCK_UNAVAILABLE, what);
      case BLOCK_ERROR_CODE_OUT_OF_RANGE, BLOCK_ERROR_CODE_RANGE_MISMATCH ->
          throw new OtaException(OtaReason.OTA_REASON_BLOCK_UNAVAILABLE, what
              + "; the served file does not match the signed manifest (size " + download.body().getSizeBytes()
              + " bytes, " + download.blockCount() + " blocks of " + download.body().getBlockSizeBytes() + ")");
      case BLOCK_ERROR_CODE_RATE_LIMITED -> {
        pausedUntilMs = Math.max(pausedUntilMs, nowMs + Integer.toUnsignedLong(e.getRetryAfterMs()));
        LOG.debugf("%s; pausing requests until %d", what, pausedUntilMs);
      }
      default -> {
        if (answered != null && !download.has(answered.block)) {
          toRetry.put(answered.block, new Retry(OtaReason.OTA_REASON_BLOCK_UNAVAILABLE, what));
        }
        pausedUntilMs = Math.max(pausedUntilMs, nowMs + Integer.toUnsignedLong(e.getRetryAfterMs()));
        LOG.debugf("%s; will retry", what);
      }
    }
  }

  private boolean outstanding(int block) {
    for (InFlight f : inFlight.values()) {
      if (f.block == block) {
        return true;
      }
    }
    return false;
  }
}
