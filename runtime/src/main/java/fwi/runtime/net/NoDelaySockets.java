package fwi.runtime.net;

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
 * Socket factories with TCP_NODELAY, for MQTT connections of both apps: MQTT's small packets
 * (PUBACKs above all, which release the broker's flow-control window) must not wait for Nagle's
 * algorithm. Paho calls {@code createSocket()} and connects the socket itself.
 */
public final class NoDelaySockets {
  private NoDelaySockets() {
  }

  /** Plain TCP sockets. */
  public static SocketFactory plain() {
    return new NoDelay();
  }

  /** TLS sockets of {@code delegate} (for example from {@link #trust}, or the JVM's default). */
  public static SSLSocketFactory tls(SSLSocketFactory delegate) {
    return new NoDelayTls(delegate);
  }

  /** TLS sockets with the JVM's default trust. */
  public static SSLSocketFactory tls() {
    return tls((SSLSocketFactory) SSLSocketFactory.getDefault());
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
   * A TLS socket factory trusting a PEM CA file or a PKCS#12/JKS trust store, or empty (the JVM's
   * default trust) when neither is given.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read
   */
  public static Optional<SSLSocketFactory> trust(Optional<Path> caFile, Optional<Path> trustStore,
      Optional<String> trustStorePassword) {
    if (caFile.isEmpty() && trustStore.isEmpty()) {
      return Optional.empty();
    }
    KeyStore trust;
    if (caFile.isPresent()) {
      Path file = caFile.get();
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
      Path file = trustStore.get();
      char[] password = trustStorePassword.map(String::toCharArray).orElse(null);
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
