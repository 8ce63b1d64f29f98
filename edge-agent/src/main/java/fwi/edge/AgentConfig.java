package fwi.edge;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/**
 * Identity of this agent ({@code fwi.agent.*}). Validated at start-up: a bad value stops the agent
 * with a message naming the key and the value.
 */
@ConfigMapping(prefix = "fwi.agent")
public interface AgentConfig {
  /** Device id: the MQTT client id and the {@code {deviceId}} of its topics; [A-Za-z0-9_-], 1 to 64 chars. */
  @WithName("device-id")
  String deviceId();

  /** Hardware profile name, for example {@code pi-4b}; [a-z0-9-], 1 to 32 chars. */
  @WithName("profile")
  @WithDefault("pi-4b")
  String profile();

  /**
   * Token a local operator sends as {@code Authorization: Bearer <token>} for commands that change
   * the device ({@code POST /ota/rollback}); unset disables those commands. Never logged.
   */
  @WithName("admin-token")
  java.util.Optional<String> adminToken();
}
