package fwi.cloud.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test started (brokers, agents, services), closed in reverse order when the test ends,
 * each even if an earlier one fails to close.
 *
 * <pre>{@code
 * private final Closer open = new Closer();
 * @AfterEach void closeAll() { open.close(); }
 * ... MosquittoBroker mqtt = open.keep(MosquittoBroker.launch());
 * }</pre>
 */
public final class Closer implements AutoCloseable {
  private final List<AutoCloseable> open = new ArrayList<>();

  /** Registers {@code t} for closing and returns it. */
  public synchronized <T extends AutoCloseable> T keep(T t) {
    open.add(t);
    return t;
  }

  @Override
  public synchronized void close() {
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        // keep closing the rest
      }
    }
    open.clear();
  }
}
