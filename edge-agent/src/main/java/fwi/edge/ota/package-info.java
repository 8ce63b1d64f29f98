/**
 * Over-the-air model updates on the device: signed manifests in, blocks pulled, the file verified,
 * installed atomically, smoke-tested, swapped in, watched, and rolled back on failure.
 *
 * <p>Public surface: {@link fwi.edge.ota.OtaClient} (the state machine of {@code ota_status.proto},
 * on its own thread), driven by the network through {@link fwi.edge.ota.OtaTransport} and serving
 * through {@link fwi.edge.ota.ModelHost}; {@link fwi.edge.ota.ModelStore} (the crash-safe model
 * directory, also used at start to load the active model or import the shipped one);
 * {@link fwi.edge.ota.TrustedKeys} and {@link fwi.edge.ota.OtaSettings} (configuration);
 * {@link fwi.edge.ota.ManifestVerifier} and {@link fwi.edge.ota.SmokeTest} (the checks, usable on
 * their own); {@link fwi.edge.ota.OtaException} (a failed step and its reason). Downloads with
 * persisted progress, block bookkeeping and the health window are package-private.
 *
 * <p>On disk, under the store directory:
 * <pre>
 * store.json                    active model, previous models (most recent first), rolled-back models
 * models/&lt;sha256&gt;.onnx          the active model and the keep-previous most recent previous ones
 * downloads/&lt;sha256&gt;.part       the model being downloaded, written block by block at its offsets
 * downloads/&lt;sha256&gt;.manifest   its SignedManifest as received (resume after restart)
 * downloads/&lt;sha256&gt;.progress   received blocks (bitset), attempt number; CRC-checked, replaced atomically
 * </pre>
 */
package fwi.edge.ota;
