package fwi.edge.publish;

import fwi.runtime.net.NoDelaySockets;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

/**
 * The socket factory of the broker connection: TCP_NODELAY always, and for {@code ssl://} the
 * configured trust or the JVM's.
 */
final class Sockets {
  private Sockets() {
  }

  /**
   * The factory for {@code settings}: plain for {@code tcp://}, TLS for {@code ssl://}.
   *
   * @throws IllegalArgumentException naming the setting and the file if a trust file cannot be read
   */
  static SocketFactory factory(PublisherSettings settings) {
    if (!settings.tls()) {
      return NoDelaySockets.plain();
    }
    return NoDelaySockets.tls(NoDelaySockets.trust(settings.tlsCaFile(), settings.tlsTrustStore(),
        settings.tlsTrustStorePassword()).orElse((SSLSocketFactory) SSLSocketFactory.getDefault()));
  }
}
