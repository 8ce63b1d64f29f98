package fwi.edge;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.regex.Pattern;

/**
 * The validated identity of this agent. Checking happens at start-up so that a device with a bad
 * id never connects to the broker and publishes under a wrong topic.
 */
@Startup
@ApplicationScoped
public class AgentIdentity {
  static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  static final Pattern PROFILE = Pattern.compile("[a-z0-9-]{1,32}");

  private final String deviceId;
  private final String profile;

  AgentIdentity(AgentConfig config) {
    this.deviceId = check("fwi.agent.device-id", config.deviceId(), DEVICE_ID);
    this.profile = check("fwi.agent.profile", config.profile(), PROFILE);
  }

  static String check(String key, String value, Pattern p) {
    if (!p.matcher(value).matches()) {
      throw new IllegalArgumentException(key + " must match " + p.pattern() + ", but was '" + value + "'");
    }
    return value;
  }

  public String deviceId() {
    return deviceId;
  }

  public String profile() {
    return profile;
  }
}
