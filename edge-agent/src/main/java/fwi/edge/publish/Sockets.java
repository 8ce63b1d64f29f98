package fwi.edge.publish;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Optional;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The socket factory of the broker connection: TCP_NODELAY always (MQTT's small packets, PUBACKs
 * above all, must not wait for Nagle's algorithm), and for {@code ssl://} the configured trust or
 * the JVM's.
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
      return new NoDelay();
    }
    return new NoDelayTls(trust(settings).orElse((SSLSocketFactory) SSLSocketFactory.getDefault()));
  }

  /** Plain sockets with TCP_NODELAY; Paho calls {@link #createSocket()} and connects itself. */
  private static final class NoDelay extends SocketFactory {
    @Override
    public Socket createSocket() throws IOException {
      Socket s = new Socket();
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return noDelay(new Socket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return noDelay(new Socket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return noDelay(new Socket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return noDelay(new Socket(address, port, localAddress, localPort));
    }
  }

  /** TLS sockets of {@code delegate} with TCP_NODELAY. */
  private static final class NoDelayTls extends SSLSocketFactory {
    private final SSLSocketFactory delegate;

    NoDelayTls(SSLSocketFactory delegate) {
      this.delegate = delegate;
    }

    @Override
    public Socket createSocket() throws IOException {
      return noDelay(delegate.createSocket());
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
      return noDelay(delegate.createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return noDelay(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return noDelay(delegate.createSocket(address, port, localAddress, localPort));
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }
  }

  private static Socket noDelay(Socket s) throws IOException {
    s.setTcpNoDelay(true);
    return s;
  }

  /**
   * A TLS socket factory trusting the CA file or trust store of {@code settings}, or empty for
   * the JVM's default trust.
   */
  private static Optional<SSLSocketFactory> trust(PublisherSettings settings) {
    if (settings.tlsCaFile().isEmpty() && settings.tlsTrustStore().isEmpty()) {
      return Optional.empty();
    }
    KeyStore trust;
    if (settings.tlsCaFile().isPresent()) {
      Path file = settings.tlsCaFile().get();
      try (InputStream in = Files.newInputStream(file)) {
        Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        if (certs.isEmpty()) {
          throw new IllegalArgumentException("TLS CA file '" + file + "' holds no PEM certificate");
        }
        trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (Certificate c : certs) {
          trust.setCertificateEntry("ca-" + i++, c);
        }
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalArgumentException("TLS CA file '" + file + "' cannot be read as PEM certificates: " + e, e);
      }
    } else {
      Path file = settings.tlsTrustStore().get();
      char[] password = settings.tlsTrustStorePassword().map(String::toCharArray).orElse(null);
      try {
        trust = KeyStore.getInstance(file.toFile(), password);
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalArgumentException("TLS trust store '" + file + "' cannot be read: " + e, e);
      }
    }
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return Optional.of(context.getSocketFactory());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JVM cannot create a TLS context: " + e, e);
    }
  }
}
