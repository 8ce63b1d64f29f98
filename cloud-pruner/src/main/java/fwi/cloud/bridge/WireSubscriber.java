package fwi.cloud.bridge;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.SocketFactory;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The bridge's MQTT 5 connection: connect, subscribe, receive PUBLISH packets (QoS 0 and 1), send
 * PUBACKs when the bridge says so, keep alive, disconnect. Nothing else of MQTT (no publishing, no
 * QoS 2, no topic aliases, no enhanced authentication): the bridge needs only this, and needs it
 * fast. Paho 1.2.5 decodes a received PUBLISH by copying it byte by byte through a synchronized
 * stream, twice: ~0.9 ms of CPU per 10 KB inference result here (~11 MB/s per core, BENCHMARKS.md),
 * which made the bridge the bottleneck of a fleet sending velocity maps. Here a packet is read with
 * one {@code readFully} into its own array and the payload is one copy out of it.
 *
 * <p>One instance is one network connection; after it ends (loss or {@link #close}) it is done, and
 * a new connection is a new instance, so a PUBACK can never reach a later connection where the
 * broker may have reused the packet identifier.
 *
 * <p>Threads: {@link #connect} and {@link #subscribe} block their caller; a reader thread decodes
 * packets and calls the {@link Listener}; a keep-alive thread sends PINGREQ when nothing else was
 * sent for the keep-alive interval and ends the connection when the broker stays silent for 1.5
 * intervals. {@link #puback} and {@link #close} may be called from any thread.
 */
final class WireSubscriber implements AutoCloseable {
  /** What the reader thread reports. */
  interface Listener {
    /** A PUBLISH arrived; a QoS 1 one must be acknowledged with {@link #puback} once handled. */
    void message(Publish p);

    /** The connection ended other than by {@link #close}: read error, broker DISCONNECT, keep-alive timeout. */
    void lost(String why);
  }

  /**
   * A received PUBLISH.
   *
   * @param packetId MQTT packet identifier; 0 for QoS 0
   * @param contentType the MQTT 5 content type property, if set
   */
  record Publish(String topic, int packetId, int qos, boolean retain, boolean duplicate,
      Optional<String> contentType, byte[] payload) {
  }

  /**
   * How to connect.
   *
   * @param url {@code tcp://host:port} or {@code ssl://host:port}
   * @param maxPacketBytes the largest packet accepted; below {@link #MAX_REMAINING_LENGTH} it is told to the
   *     broker (MQTT 5 maximum packet size), which then drops larger messages for this client
   */
  record Options(String url, String clientId, Optional<String> username, Optional<String> password,
      boolean cleanStart, long sessionExpirySeconds, int receiveMaximum, int keepAliveSeconds,
      Duration connectTimeout, int maxPacketBytes, SocketFactory sockets) {
  }

  /** Thrown when the broker refuses the connection or a subscription, or speaks something else than MQTT 5. */
  static final class RefusedException extends IOException {
    RefusedException(String message) {
      super(message);
    }
  }

  private static final int CONNECT = 1;
  private static final int CONNACK = 2;
  private static final int PUBLISH = 3;
  private static final int PUBACK = 4;
  private static final int SUBSCRIBE = 8;
  private static final int SUBACK = 9;
  private static final int PINGREQ = 12;
  private static final int PINGRESP = 13;
  private static final int DISCONNECT = 14;
  private static final int AUTH = 15;
  /** The largest remaining length MQTT can encode (four variable-length bytes). */
  static final int MAX_REMAINING_LENGTH = 268_435_455;

  private final Options options;
  private volatile Listener listener;
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final Object writeLock = new Object();
  private volatile long lastSentNanos = System.nanoTime();
  private volatile long lastReceivedNanos = System.nanoTime();
  private volatile CompletableFuture<int[]> subAck;
  private volatile int subscribePacketId;
  private int keepAliveSeconds;
  private Thread reader;
  private Thread keeper;

  private WireSubscriber(Options options, Socket socket) throws IOException {
    this.options = options;
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
    this.out = new BufferedOutputStream(socket.getOutputStream(), 8 * 1024);
    this.keepAliveSeconds = options.keepAliveSeconds();
  }

  /**
   * Opens the connection: TCP (and TLS), CONNECT, CONNACK. Nothing is read after the CONNACK until
   * {@link #start}: a resumed session's messages may follow it at once.
   *
   * @return the connection and whether the broker resumed a session ({@code sessionPresent})
   * @throws RefusedException naming the broker's reason code when it refuses
   * @throws IOException if the broker cannot be reached or answers with something else
   */
  static Connected connect(Options o) throws IOException {
    URI uri = URI.create(o.url());
    boolean tls = "ssl".equals(uri.getScheme());
    if (!tls && !"tcp".equals(uri.getScheme())) {
      throw new IllegalArgumentException("MQTT URL must start with tcp:// or ssl://, but was '" + o.url() + "'");
    }
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 8883 : 1883;
    Socket s = o.sockets().createSocket();
    try {
      int timeoutMs = (int) Math.min(Integer.MAX_VALUE, o.connectTimeout().toMillis());
      s.connect(new InetSocketAddress(uri.getHost(), port), timeoutMs);
      if (s instanceof SSLSocket ssl) {
        SSLParameters p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the broker's certificate must name the host
        ssl.setSSLParameters(p);
        ssl.startHandshake();
      }
      s.setSoTimeout(timeoutMs);
      WireSubscriber w = new WireSubscriber(o, s);
      boolean sessionPresent = w.handshake();
      s.setSoTimeout(0);
      return new Connected(w, sessionPresent);
    } catch (IOException | RuntimeException e) {
      try {
        s.close();
      } catch (IOException ignored) {
        // failed anyway
      }
      if (e instanceof SocketTimeoutException) {
        throw new IOException("no answer from " + o.url() + " within " + o.connectTimeout().toMillis() + " ms", e);
      }
      throw e;
    }
  }

  /** An open connection and whether the broker resumed the client's session. */
  record Connected(WireSubscriber connection, boolean sessionPresent) {
  }

  private boolean handshake() throws IOException {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeString(v, "MQTT");
    v.write(5);
    int flags = (options.cleanStart() ? 0x02 : 0) | (options.username().isPresent() ? 0x80 : 0)
        | (options.password().isPresent() ? 0x40 : 0);
    v.write(flags);
    writeShort(v, options.keepAliveSeconds());
    ByteArrayOutputStream props = new ByteArrayOutputStream();
    props.write(0x11); // session expiry interval
    writeInt(props, (int) Math.min(0xFFFFFFFFL, options.sessionExpirySeconds()));
    props.write(0x21); // receive maximum
    writeShort(props, options.receiveMaximum());
    if (options.maxPacketBytes() < MAX_REMAINING_LENGTH) {
      props.write(0x27); // maximum packet size
      writeInt(props, options.maxPacketBytes());
    }
    writeVarInt(v, props.size());
    props.writeTo(v);
    writeString(v, options.clientId());
    if (options.username().isPresent()) {
      writeString(v, options.username().get());
    }
    if (options.password().isPresent()) {
      byte[] pw = options.password().get().getBytes(StandardCharsets.UTF_8);
      writeShort(v, pw.length);
      v.write(pw);
    }
    send(CONNECT << 4, v.toByteArray());

    int header = in.readUnsignedByte();
    byte[] body = readBody();
    if (header >> 4 != CONNACK) {
      throw new IOException("the broker answered CONNECT with packet type " + (header >> 4) + ", not CONNACK");
    }
    Reader r = new Reader(body);
    boolean sessionPresent = (r.u8() & 1) != 0;
    int reason = r.u8();
    int serverKeepAlive = -1;
    String reasonString = "";
    int end = r.propertiesEnd();
    while (r.pos < end) {
      int id = r.varInt();
      switch (id) {
        case 0x13 -> serverKeepAlive = r.u16();
        case 0x1F -> reasonString = r.string();
        default -> r.skipProperty(id);
      }
    }
    if (reason >= 0x80) {
      throw new RefusedException("the broker refused the connection of " + options.clientId() + ": reason code 0x"
          + Integer.toHexString(reason) + (reasonString.isEmpty() ? "" : " (" + reasonString + ")"));
    }
    if (serverKeepAlive >= 0) {
      keepAliveSeconds = serverKeepAlive; // MQTT 5 3.2.2.3.14: the server's value wins
    }
    return sessionPresent;
  }

  /** Starts reading (messages go to {@code l}) and keeping the connection alive. Once. */
  void start(Listener l) {
    if (reader != null) {
      throw new IllegalStateException("already started");
    }
    listener = l;
    reader = new Thread(this::readLoop, "fwi-mqtt-in-" + options.clientId());
    reader.setDaemon(true);
    reader.start();
    if (keepAliveSeconds > 0) {
      keeper = new Thread(this::keepAliveLoop, "fwi-mqtt-ping-" + options.clientId());
      keeper.setDaemon(true);
      keeper.start();
    }
  }

  /**
   * Subscribes to {@code filters} at QoS 1 with retain-as-published and waits for the SUBACK.
   *
   * @return the broker's reason code per filter (0 = QoS 0 granted, 1 = QoS 1, 0x80 and up = refused)
   * @throws IOException if the connection ends or no SUBACK comes within the connect timeout
   */
  int[] subscribe(List<String> filters) throws IOException {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    int id = 1;
    writeShort(v, id);
    v.write(0); // no properties
    for (String f : filters) {
      writeString(v, f);
      v.write(0x01 | 0x08); // QoS 1, retain as published
    }
    CompletableFuture<int[]> f = new CompletableFuture<>();
    subscribePacketId = id;
    subAck = f;
    send((SUBSCRIBE << 4) | 0x02, v.toByteArray());
    try {
      int[] codes = f.get(options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
      if (codes.length != filters.size()) {
        throw new IOException("the broker answered " + filters.size() + " subscriptions with " + codes.length
            + " reason codes");
      }
      return codes;
    } catch (TimeoutException e) {
      throw new IOException("no SUBACK within " + options.connectTimeout().toMillis() + " ms");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the SUBACK");
    }
  }

  /**
   * Acknowledges QoS 1 messages, in the given order, with one flush.
   *
   * @throws IOException if the connection is gone (the broker redelivers them on the next one)
   */
  void puback(int[] packetIds, int count) throws IOException {
    synchronized (writeLock) {
      if (ended.get()) {
        throw new IOException("the connection has ended");
      }
      for (int i = 0; i < count; i++) {
        out.write(PUBACK << 4);
        out.write(2);
        out.write(packetIds[i] >> 8);
        out.write(packetIds[i]);
      }
      out.flush();
      lastSentNanos = System.nanoTime();
    }
  }

  boolean isOpen() {
    return !ended.get();
  }

  /**
   * Ends the connection: a DISCONNECT (normal, so the broker keeps the session and does not publish a
   * will), then the socket is closed. The listener hears nothing of it. Idempotent.
   */
  @Override
  public void close() {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    synchronized (writeLock) {
      try {
        socket.setSoTimeout(1000);
        out.write(DISCONNECT << 4);
        out.write(0);
        out.flush();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    closeSocket();
  }

  private void closeSocket() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closed anyway
    }
    if (keeper != null) {
      keeper.interrupt();
    }
    CompletableFuture<int[]> f = subAck;
    if (f != null) {
      f.completeExceptionally(new IOException("the connection ended before the SUBACK"));
    }
  }

  /** The connection ended other than by close(): tell the listener once. */
  private void lost(String why) {
    if (ended.compareAndSet(false, true)) {
      closeSocket();
      Listener l = listener;
      if (l != null) {
        l.lost(why);
      }
    }
  }

  private void readLoop() {
    try {
      while (!ended.get()) {
        int header = in.read();
        if (header < 0) {
          lost("the broker closed the connection");
          return;
        }
        byte[] body = readBody();
        lastReceivedNanos = System.nanoTime();
        int type = header >> 4;
        switch (type) {
          case PUBLISH -> listener.message(decodePublish(header, body));
          case SUBACK -> subAck(body);
          case PINGRESP, PUBACK -> {
            // keep-alive answered; the bridge publishes nothing, so a PUBACK is only the broker's confusion
          }
          case DISCONNECT -> {
            Reader r = new Reader(body);
            int reason = body.length > 0 ? r.u8() : 0;
            String text = "";
            if (body.length > 1) {
              int end = r.propertiesEnd();
              while (r.pos < end) {
                int id = r.varInt();
                if (id == 0x1F) {
                  text = r.string();
                } else {
                  r.skipProperty(id);
                }
              }
            }
            lost("the broker sent DISCONNECT, reason code 0x" + Integer.toHexString(reason)
                + (text.isEmpty() ? "" : " (" + text + ")"));
            return;
          }
          case AUTH -> throw new IOException("the broker started enhanced authentication, which this client does not do");
          default -> throw new IOException("unexpected MQTT packet type " + type + " from the broker");
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!ended.get()) {
        lost(e instanceof EOFException ? "the broker closed the connection mid-packet" : String.valueOf(e.getMessage()));
      }
    }
  }

  private void subAck(byte[] body) throws IOException {
    Reader r = new Reader(body);
    int id = r.u16();
    r.pos = r.propertiesEnd();
    int[] codes = new int[body.length - r.pos];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = r.u8();
    }
    CompletableFuture<int[]> f = subAck;
    if (f == null || id != subscribePacketId) {
      throw new IOException("SUBACK for packet " + id + ", which this client did not send");
    }
    f.complete(codes);
  }

  /** Decodes a PUBLISH; the payload is one copy out of {@code body}. */
  static Publish decodePublish(int header, byte[] body) throws IOException {
    int qos = (header >> 1) & 3;
    if (qos == 3) {
      throw new IOException("PUBLISH with QoS 3, which does not exist");
    }
    if (qos == 2) {
      throw new IOException("PUBLISH with QoS 2, which this client never subscribes with");
    }
    Reader r = new Reader(body);
    String topic = r.string();
    int packetId = 0;
    if (qos > 0) {
      packetId = r.u16();
      if (packetId == 0) {
        throw new IOException("PUBLISH at QoS " + qos + " with packet identifier 0");
      }
    }
    String contentType = null;
    int end = r.propertiesEnd();
    while (r.pos < end) {
      int id = r.varInt();
      if (id == 0x03) {
        contentType = r.string();
      } else if (id == 0x23) {
        throw new IOException("PUBLISH with a topic alias, which this client never allowed");
      } else {
        r.skipProperty(id);
      }
    }
    if (r.pos != end) {
      throw new IOException("PUBLISH properties overrun their length");
    }
    byte[] payload = new byte[body.length - r.pos];
    System.arraycopy(body, r.pos, payload, 0, payload.length);
    return new Publish(topic, packetId, qos, (header & 1) != 0, (header & 8) != 0, Optional.ofNullable(contentType),
        payload);
  }

  private void keepAliveLoop() {
    long intervalNanos = TimeUnit.SECONDS.toNanos(keepAliveSeconds);
    try {
      while (!ended.get()) {
        Thread.sleep(Math.max(100, TimeUnit.NANOSECONDS.toMillis(intervalNanos) / 4));
        long now = System.nanoTime();
        if (now - lastReceivedNanos > intervalNanos * 3 / 2) {
          lost("nothing from the broker for " + TimeUnit.NANOSECONDS.toMillis(now - lastReceivedNanos)
              + " ms (keep-alive " + keepAliveSeconds + " s)");
          return;
        }
        if (now - lastSentNanos >= intervalNanos / 2) {
          // Half the interval: the PINGRESP is back well before the broker's 1.5x deadline for us.
          send(PINGREQ << 4, new byte[0]);
        }
      }
    } catch (InterruptedException e) {
      // closing
    } catch (IOException e) {
      lost("keep-alive failed: " + e.getMessage());
    }
  }

  private void send(int header, byte[] body) throws IOException {
    synchronized (writeLock) {
      out.write(header);
      writeVarInt(out, body.length);
      out.write(body);
      out.flush();
      lastSentNanos = System.nanoTime();
    }
  }

  /** Reads the remaining length and the packet's body; refuses packets over the maximum packet size. */
  private byte[] readBody() throws IOException {
    int length = 0;
    for (int shift = 0; ; shift += 7) {
      if (shift > 21) {
        throw new IOException("malformed remaining length: more than 4 bytes");
      }
      int b = in.readUnsignedByte();
      length |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    if (length > options.maxPacketBytes()) {
      throw new IOException("a packet of " + length + " bytes, over the maximum packet size "
          + options.maxPacketBytes() + " this client told the broker");
    }
    byte[] body = new byte[length];
    in.readFully(body);
    return body;
  }

  /** Reads MQTT data types out of one packet body, refusing to run past its end. */
  private static final class Reader {
    final byte[] b;
    int pos;

    Reader(byte[] b) {
      this.b = b;
    }

    private void need(int n) throws IOException {
      if (pos + n > b.length) {
        throw new IOException("packet truncated: " + n + " more bytes needed at offset " + pos + " of " + b.length);
      }
    }

    int u8() throws IOException {
      need(1);
      return b[pos++] & 0xFF;
    }

    int u16() throws IOException {
      need(2);
      int v = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
      pos += 2;
      return v;
    }

    int varInt() throws IOException {
      int v = 0;
      for (int shift = 0; ; shift += 7) {
        if (shift > 21) {
          throw new IOException("malformed variable byte integer at offset " + pos);
        }
        int x = u8();
        v |= (x & 0x7F) << shift;
        if ((x & 0x80) == 0) {
          return v;
        }
      }
    }

    String string() throws IOException {
      int n = u16();
      need(n);
      try {
        String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b, pos, n)).toString();
        pos += n;
        return s;
      } catch (CharacterCodingException e) {
        throw new IOException("a string of " + n + " bytes at offset " + pos + " is not UTF-8");
      }
    }

    /** Reads the properties' length and returns where they end. */
    int propertiesEnd() throws IOException {
      int n = varInt();
      need(n);
      return pos + n;
    }

    /** Skips the value of property {@code id} (MQTT 5 2.2.2.2). */
    void skipProperty(int id) throws IOException {
      switch (id) {
        case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> skip(1);
        case 0x13, 0x21, 0x22, 0x23 -> skip(2);
        case 0x02, 0x11, 0x18, 0x27 -> skip(4);
        case 0x0B -> varInt();
        case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> string();
        case 0x09, 0x16 -> skip(u16());
        case 0x26 -> {
          string();
          string();
        }
        default -> throw new IOException("unknown MQTT property 0x" + Integer.toHexString(id) + " at offset " + (pos - 1));
      }
    }

    private void skip(int n) throws IOException {
      need(n);
      pos += n;
    }
  }

  private static void writeString(OutputStream o, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException("an MQTT string holds at most 65535 bytes, but was " + b.length);
    }
    writeShort(o, b.length);
    o.write(b);
  }

  private static void writeShort(OutputStream o, int v) throws IOException {
    o.write(v >> 8);
    o.write(v);
  }

  private static void writeInt(OutputStream o, int v) throws IOException {
    o.write(v >>> 24);
    o.write(v >>> 16);
    o.write(v >>> 8);
    o.write(v);
  }

  private static void writeVarInt(OutputStream o, int v) throws IOException {
    do {
      int b = v & 0x7F;
      v >>>= 7;
      o.write(v > 0 ? b | 0x80 : b);
    } while (v > 0);
  }
}
