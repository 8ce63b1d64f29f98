package fwi.cloud.ota;

import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.registry.ManifestSigner;
import fwi.cloud.registry.ModelRegistry;
import fwi.cloud.registry.ModelStore;
import fwi.cloud.registry.RegistrySettings;
import fwi.cloud.registry.SigningKeys;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;

/** Registries and models for the OTA tests. */
final class OtaFixtures {
  private OtaFixtures() {
  }

  static ManifestSigner signer() throws Exception {
    return new ManifestSigner(SigningKeys.builder()
        .privateKey("manifest-test", KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate())
        .active("manifest-test").build());
  }

  static ModelRegistry registry(Path dir, int blockSizeBytes) throws Exception {
    return ModelRegistry.open(dir, new ModelStore(dir), signer(),
        RegistrySettings.defaults().withBlockSizeBytes(blockSizeBytes), Clock.systemUTC());
  }

  /** A real InversionNet ONNX file of the given width (0.05: about 0.1 MB; 1.0: about 98 MB). */
  static byte[] inversionNet(double width, long seed) {
    return InversionNet.build(InversionNetConfig.defaults().withWidth(width).withSeed(seed)).toByteArray();
  }
}
