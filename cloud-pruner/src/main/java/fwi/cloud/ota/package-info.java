/**
 * Over-the-air delivery from the cloud: {@link fwi.cloud.ota.ManifestPublisher} retains signed
 * manifests on the profile and device topics, {@link fwi.cloud.ota.BlockPublisher} answers the
 * devices' block requests from the model store, with per-device rate limits. Both speak MQTT 5
 * (Paho) over their own connection and reconnect by themselves. Plain Java, constructible without CDI.
 */
package fwi.cloud.ota;
