package fwi.cloud.ota;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DeviceRateLimiterTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private void advanceMs(long ms) {
    now.addAndGet(ms * 1_000_000L);
  }

  @Test
  void admitsTheBurstThenAdvisesTheTimeUntilTheNextToken() {
    DeviceRateLimiter l = new DeviceRateLimiter(10, 3, 0, 0, now::get);

    assertEquals(0, l.acquire("a", 65536));
    assertEquals(0, l.acquire("a", 65536));
    assertEquals(0, l.acquire("a", 65536));
    assertEquals(100, l.acquire("a", 65536));
    advanceMs(40);
    assertEquals(60, l.acquire("a", 65536));
    advanceMs(60);
    assertEquals(0, l.acquire("a", 65536));
  }

  @Test
  void keepsABucketPerDevice() {
    DeviceRateLimiter l = new DeviceRateLimiter(1, 1, 0, 0, now::get);

    assertEquals(0, l.acquire("a", 1));
    assertEquals(1000, l.acquire("a", 1));
    assertEquals(0, l.acquire("b", 1));
  }

  @Test
  void limitsBytesAndLetsABlockLargerThanTheBurstPassWhenTheBucketIsFull() {
    DeviceRateLimiter l = new DeviceRateLimiter(0, 0, 1_000_000, 100_000, now::get);

    assertEquals(0, l.acquire("a", 65_536));
    assertEquals(32, l.acquire("a", 65_536)); // 34,464 left, 31,072 missing at 1 byte/µs
    advanceMs(100);
    assertEquals(0, l.acquire("a", 1 << 20)); // full bucket: takes all of it
    assertEquals(100, l.acquire("a", 1 << 20));
  }

  @Test
  void waitsForTheSlowerOfBothBuckets() {
    DeviceRateLimiter l = new DeviceRateLimiter(100, 1, 1000, 1000, now::get);

    assertEquals(0, l.acquire("a", 1000));
    assertEquals(1000, l.acquire("a", 1000));
  }

  @Test
  void aRefusedRequestTakesNothing() {
    DeviceRateLimiter l = new DeviceRateLimiter(10, 1, 0, 0, now::get);
    l.acquire("a", 1);

    for (int i = 0; i < 5; i++) {
      l.acquire("a", 1);
    }
    advanceMs(100);

    assertEquals(0, l.acquire("a", 1));
  }

  @Test
  void isOffWhenBothRatesAreZero() {
    DeviceRateLimiter l = new DeviceRateLimiter(0, 0, 0, 0, now::get);

    for (int i = 0; i < 10_000; i++) {
      assertEquals(0, l.acquire("a", 1 << 20));
    }
    assertEquals(0, l.trackedDevices());
  }

  @Test
  void forgetsDevicesWhoseBucketsAreFullAgain() {
    DeviceRateLimiter l = new DeviceRateLimiter(1000, 1, 0, 0, now::get);
    for (int i = 0; i < 1000; i++) {
      l.acquire("device-" + i, 1);
    }
    advanceMs(10);

    for (int i = 0; i < 24; i++) {
      l.acquire("again", 1);
    }

    assertEquals(1, l.trackedDevices());
  }
}
