package fwi.cloud.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One simulated device: its id (also its MQTT client id and, with a password, its user name, as the
 * broker ACL of deploy/mosquitto requires) and its password, if the broker wants one.
 *
 * @param deviceId {@code [A-Za-z0-9_-]{1,64}}, the edge agent's rule
 */
public record DeviceLogin(String deviceId, Optional<String> password) {
  /** The device id rule of the edge agent and the bridge. */
  public static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** @throws IllegalArgumentException naming a bad device id */
  public DeviceLogin {
    if (deviceId == null || !DEVICE_ID.matcher(deviceId).matches()) {
      throw new IllegalArgumentException("device id must match " + DEVICE_ID.pattern() + ", but was '" + deviceId + "'");
    }
    if (password == null) {
      throw new IllegalArgumentException("password of " + deviceId + " must be an Optional, but was null");
    }
  }

  /** {@code count} devices without passwords: {@code <prefix>0001}, {@code <prefix>0002}, ... */
  public static List<DeviceLogin> numbered(String prefix, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("device count must be at least 1, but was " + count);
    }
    int width = Math.max(4, String.valueOf(count).length());
    List<DeviceLogin> all = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      all.add(new DeviceLogin(prefix + String.format("%0" + width + "d", i), Optional.empty()));
    }
    return all;
  }

  /**
   * The devices of a credentials file: one {@code <device-id>:<password>} per line (what
   * {@code deploy/mosquitto/add-device.sh --credentials-out} appends); blank lines and lines starting
   * with {@code #} are skipped.
   *
   * @throws IllegalArgumentException naming the file and line of a malformed entry or a repeated id
   */
  public static List<DeviceLogin> readCredentials(Path file) throws IOException {
    List<DeviceLogin> all = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      int colon = l.indexOf(':');
      if (colon <= 0 || colon == l.length() - 1) {
        throw new IllegalArgumentException(file + ":" + lineNo + ": expected <device-id>:<password>, but was '"
            + (colon < 0 ? l : l.substring(0, colon) + ":***") + "'");
      }
      String id = l.substring(0, colon);
      try {
        all.add(new DeviceLogin(id, Optional.of(l.substring(colon + 1))));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ":" + lineNo + ": " + e.getMessage(), e);
      }
      if (!seen.add(id)) {
        throw new IllegalArgumentException(file + ":" + lineNo + ": device '" + id + "' is listed twice");
      }
    }
    return all;
  }

  /** Masks the password. */
  @Override
  public String toString() {
    return "DeviceLogin[" + deviceId + (password.isPresent() ? ", password=***" : "") + "]";
  }
}
