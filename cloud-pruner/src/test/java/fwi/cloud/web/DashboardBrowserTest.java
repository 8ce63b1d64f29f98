package fwi.cloud.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import fwi.cloud.testing.Closer;
import fwi.cloud.fleet.DeviceView;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.registry.RegisteredModel;
import fwi.cloud.registry.Registration;
import fwi.cloud.service.CloudService;
import fwi.cloud.service.FleetService;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.PhaseTiming;
import fwi.proto.v1.PruneJob;
import fwi.proto.v1.PruneJobReport;
import fwi.proto.v1.PruneJobState;
import fwi.proto.v1.PruneMethod;
import fwi.proto.v1.PrunePhase;
import fwi.proto.v1.PrunePlanSummary;
import fwi.proto.v1.QualityMetrics;
import fwi.testing.Poll;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator dashboard in a real browser against the real application: headless Chromium (Debian's
 * {@code chromium} and {@code chromium-driver}) loads {@code /} from the Quarkus app, whose fleet
 * service runs on a real Mosquitto and Kafka ({@link DashboardBrokers}); six simulated devices
 * publish Births, telemetry and results with velocity maps over MQTT, and the bridge carries them to
 * Kafka, which feeds the fleet state and the result feed. The registry and job store are seeded with
 * pruned models and three compression jobs, as a compression run would leave them.
 *
 * <p>Checked in the page: alarms (over SLO, offline device, failed job, aborted rollout), the device
 * rows, a latency chart with points, a velocity map image that decoded, the measured p95 of a job's
 * model, and that Pause asks for the token, shows a 401 for a wrong one, and with the right one
 * pauses the rollout (confirmed through the API). A screenshot goes to
 * {@code target/dashboard-screenshot.png}.
 */
@QuarkusTest
@WithTestResource(DashboardBrokers.class)
class DashboardBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Path SCREENSHOT = Path.of("target", "dashboard-screenshot.png");
  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject
  FleetService fleet;

  @TestHTTPResource("/")
  URL base;

  @ConfigProperty(name = "fwi.service.mqtt-broker-url")
  String mqttUrl;

  private final HttpClient http = HttpClient.newHttpClient();
  private final Closer open = new Closer();

  @AfterEach
  void closeAll() {
    open.close();
  }

  @Test
  void showsTheFleetLiveAndPausesARolloutWithTheOperatorToken() throws Exception {
    fleet.start();
    CloudService cloud = fleet.cloud();
    RegisteredModel pi4Pruned = seedModelsAndJobs(cloud);
    RegisteredModel pi5Base = cloud.registry().model("pi-5", 1).orElseThrow();
    // What the devices run is current: staged rollouts go from there (and roll back to it).
    cloud.setCurrentVersion("pi-4b", pi4Pruned.version());
    cloud.setCurrentVersion("pi-5", pi5Base.version());

    List<SimulatedDevice> devices = new ArrayList<>();
    for (String id : List.of("pi4-01", "pi4-02", "pi4-03")) {
      devices.add(device(id, "pi-4b", pi4Pruned, 262));
    }
    for (String id : List.of("pi5-01", "pi5-02")) {
      devices.add(device(id, "pi-5", pi5Base, 236)); // the pi-5 SLO is 200 ms
    }
    SimulatedDevice gone = device("pi4-04", "pi-4b", pi4Pruned, 270);
    for (SimulatedDevice d : devices) {
      d.birth(1);
    }
    gone.birth(1);
    gone.tick();
    gone.death(1);
    List<Throwable> deviceErrors = new CopyOnWriteArrayList<>();
    ScheduledExecutorService work = Executors.newSingleThreadScheduledExecutor();
    open.keep(work::shutdownNow);
    work.scheduleAtFixedRate(() -> devices.forEach(d -> {
      try {
        d.tick();
      } catch (Exception e) {
        deviceErrors.add(e);
      }
    }), 0, 1, TimeUnit.SECONDS);

    Poll.until(() -> cloud.fleet().devices().size() == 6
        && cloud.fleet().devices().stream().filter(DeviceView::online).count() == 5
        && cloud.fleet().profileLatency("pi-5", System.currentTimeMillis()).isPresent()
        && cloud.fleet().profileLatency("pi-4b", System.currentTimeMillis())
            .map(l -> l.p95MsByModel().containsKey(pi4Pruned.sha256Hex())).orElse(false),
        WAIT, () -> "six devices, five online, with telemetry, but the fleet shows " + cloud.fleet().devices()
            + "; device errors " + deviceErrors);

    // One rollout aborted (an alarm), one left running in its first stage: these devices never install.
    String aborted = upload("pi-5", InversionNet.build(InversionNetConfig.defaults().withWidth(0.22).withSeed(31)), 150)
        .path("rollout").path("id").asText();
    JsonNode abortedStatus = post("/api/rollouts/" + aborted + "/abort?why=canary%20p95%20over%20the%20SLO", 200);
    assertEquals("ABORTED", abortedStatus.path("state").asText());
    String rollout = upload("pi-4b", InversionNet.build(InversionNetConfig.defaults().withWidth(0.2).withSeed(41)), 220)
        .path("rollout").path("id").asText();
    assertEquals("RUNNING", rollout(rollout).path("state").asText());

    // The server side: /dashboard sends browsers to /, the stream speaks SSE, maps are PNGs.
    HttpResponse<Void> redirect = http.send(HttpRequest.newBuilder(uri("/dashboard")).build(),
        HttpResponse.BodyHandlers.discarding());
    assertEquals(303, redirect.statusCode());
    assertTrue(redirect.headers().firstValue("Location").orElse("").endsWith("/"), redirect.headers().toString());
    JsonNode firstEvent = firstStreamEvent();
    assertTrue(firstEvent.path("alarms").isArray() && firstEvent.path("devices").size() == 6, firstEvent.toString());
    Poll.until(() -> get("/api/devices/pi4-01/velocity.png").statusCode() == 200, WAIT,
        () -> "the velocity map of pi4-01; result feed says " + get("/api/devices/pi4-01/result").body());
    HttpResponse<String> png = get("/api/devices/pi4-01/velocity.png");
    assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));

    WebDriver driver = chrome();
    JavascriptExecutor js = (JavascriptExecutor) driver;
    // The page redraws its lists on every snapshot: read them in one script, or retry on a replaced element.
    WebDriverWait wait = new WebDriverWait(driver, WAIT);
    wait.ignoring(StaleElementReferenceException.class);
    driver.get(base.toString());

    // Alarms first: over SLO, the offline device, the failed job, the aborted rollout.
    String alarmsScript = "return [...document.querySelectorAll('#alarms li.alarm')]"
        + ".map(li => li.dataset.kind + ': ' + li.textContent);";
    wait.until(d -> lines(js, alarmsScript).size() >= 4);
    List<String> alarms = lines(js, alarmsScript);
    for (String kind : List.of("SLO_BREACH", "DEVICES_OFFLINE", "JOB_FAILED", "ROLLOUT_ABORTED")) {
      assertTrue(alarms.stream().anyMatch(a -> a.startsWith(kind + ": ")), kind + " in " + alarms);
    }
    assertTrue(alarms.get(0).startsWith("SLO_BREACH: CRITICAL") && alarms.get(0).contains("pi-5"), alarms.toString());
    assertTrue(alarms.stream().anyMatch(a -> a.startsWith("DEVICES_OFFLINE") && a.contains("pi4-04")), alarms.toString());

    // Device rows, offline first.
    String devicesScript = "return [...document.querySelectorAll('#devices tbody tr[data-device]')]"
        + ".map(tr => tr.dataset.device);";
    wait.until(d -> lines(js, devicesScript).size() == 6);
    assertEquals("pi4-04", lines(js, devicesScript).get(0));

    // Latency charts with points (Chart.js from the webjar), and the quality chart with the pruned models.
    wait.until(d -> ((Number) js.executeScript("const c = window.Chart && Chart.getChart('latency-pi-4b');"
        + " return c ? c.data.datasets[0].data.length : 0;")).intValue() > 0);
    wait.until(d -> ((Number) js.executeScript("const c = window.Chart && Chart.getChart('quality-chart');"
        + " return c ? c.data.datasets.reduce((n, s) => n + s.data.length, 0) : 0;")).intValue() >= 3);

    // Velocity maps decoded by the browser.
    wait.until(d -> ((Number) js.executeScript("return [...document.querySelectorAll('#maps img')]"
        + ".filter(i => i.complete && i.naturalWidth > 0).length;")).intValue() > 0);

    // The succeeded job shows the field p95 of its model next to the prediction.
    wait.until(d -> !String.valueOf(js.executeScript("const m = document.querySelector("
        + "\"#jobs tr[data-job='pi-4b-20261121-221500'] [data-measured]\"); return m ? m.dataset.measured : '';"))
        .isEmpty());

    // Pause: the page asks for the token; a wrong one is refused with a visible 401.
    By pause = By.cssSelector("button[data-rollout='" + rollout + "'][data-action='pause']");
    wait.until(d -> d.findElement(pause).isEnabled());
    driver.findElement(pause).click();
    enterToken(driver, wait, "not-the-token");
    wait.until(d -> d.findElement(By.id("notice")).isDisplayed()
        && d.findElement(By.id("notice")).getText().contains("401 Unauthorized"));
    assertEquals("RUNNING", rollout(rollout).path("state").asText());

    driver.findElement(pause).click();
    enterToken(driver, wait, DashboardBrokers.TOKEN);
    wait.until(d -> d.findElement(By.cssSelector(".rollout[data-id='" + rollout + "'] .rollout-state")).getText()
        .equals("PAUSED"));
    assertEquals("PAUSED", rollout(rollout).path("state").asText());
    assertEquals(DashboardBrokers.TOKEN, js.executeScript("return sessionStorage.getItem('fwi.apiToken');"));
    assertNull(js.executeScript("return localStorage.getItem('fwi.apiToken');"), "the token stays in this tab");
    wait.until(d -> lines(js, alarmsScript).stream().anyMatch(a -> a.startsWith("ROLLOUT_PAUSED") && a.contains(rollout)));

    // Layout: no rollout card sticks out of its panel, whatever its stage labels say (they do not wrap;
    // a completed stage's gate detail used to push the card over the devices table next to it): the
    // labels get a long text, then the cards are measured, at this width and at the demo screenshot's.
    String overflowing = "document.querySelectorAll('.rollout .stage-label').forEach(l => l.textContent ="
        + " '1/1 installed · p95 18.0 ms · passed: p95 18.5 ms <= 45.3 ms, errors 0.000 '.repeat(3));"
        + " return [...document.querySelectorAll('.rollout')].filter(r => r.getBoundingClientRect()"
        + ".right > r.closest('.panel').getBoundingClientRect().right + 0.5).map(r => r.dataset.id);";
    assertEquals(List.of(), lines(js, overflowing), "rollout cards wider than their panel at 1600 px");
    driver.manage().window().setSize(new Dimension(1400, 1000));
    wait.until(d -> ((Number) js.executeScript("return window.innerWidth;")).intValue() <= 1400);
    assertEquals(List.of(), lines(js, overflowing), "rollout cards wider than their panel at 1400 px");

    screenshot(driver, wait);
    assertEquals(List.of(), deviceErrors);
  }

  @SuppressWarnings("unchecked")
  private static List<String> lines(JavascriptExecutor js, String script) {
    return (List<String>) js.executeScript(script);
  }

  /** Registers pruned models with plans and quality, and leaves three jobs as compression runs would. */
  private RegisteredModel seedModelsAndJobs(CloudService cloud) throws Exception {
    byte[] base = InversionNet.build(InversionNetConfig.defaults().withWidth(0.5).withSeed(1)).toByteArray();
    RegisteredModel pi4Base = cloud.registry().register("pi-4b", base, "test base", Registration.none());
    RegisteredModel pi5Base = cloud.registry().register("pi-5", base, "test base", Registration.none());
    pruned(cloud, "pi-4b", 0.3, 0.35, 2, 338, quality(36.1, 66.0, 0.944), pi4Base);
    RegisteredModel pi4 = pruned(cloud, "pi-4b", 0.5, 0.25, 3, 247, quality(44.9, 79.3, 0.921), pi4Base);
    pruned(cloud, "pi-5", 0.4, 0.3, 4, 171, quality(40.2, 72.5, 0.933), pi5Base);

    long now = System.currentTimeMillis();
    job(cloud, "pi-4b-20261121-221500", "pi-4b", now - 3_600_000, "slo_breach: p95 611.0 ms above the SLO 500.0 ms",
        PruneJobReport.newBuilder().setState(PruneJobState.PRUNE_JOB_STATE_SUCCEEDED)
            .setPhase(PrunePhase.PRUNE_PHASE_REGISTERING).setProgressPercent(100)
            .setParamCountBefore(pi4Base.description().params()).setParamCountAfter(pi4.description().params())
            .setMacsBefore(pi4Base.description().macs()).setMacsAfter(pi4.description().macs())
            .setPredictedLatencyP95Us(247_000).setQualityBefore(quality(32.4, 61.8, 0.952))
            .setQualityAfter(quality(44.9, 79.3, 0.921)).setResultingModel(ref(pi4))
            .addPhaseTimings(PhaseTiming.newBuilder().setPhase(PrunePhase.PRUNE_PHASE_FINE_TUNING).setWallTimeMs(412_000)));
    job(cloud, "pi-5-20261122-010500", "pi-5", now - 1_800_000, "slo_breach: p95 236.0 ms above the SLO 200.0 ms",
        PruneJobReport.newBuilder().setState(PruneJobState.PRUNE_JOB_STATE_FAILED)
            .setPhase(PrunePhase.PRUNE_PHASE_FINE_TUNING).setProgressPercent(38)
            .setParamCountBefore(pi5Base.description().params()).setMacsBefore(pi5Base.description().macs())
            .setPredictedLatencyP95Us(168_000).setQualityBefore(quality(32.4, 61.8, 0.952))
            .setErrorDetail("FINE_TUNING: the training loss became NaN at step 412; lower fwi.compression.finetune-lr"));
    job(cloud, "pi-zero-2w-20261122-023000", "pi-zero-2w", now - 600_000, "request: operator request",
        PruneJobReport.newBuilder().setState(PruneJobState.PRUNE_JOB_STATE_RUNNING)
            .setPhase(PrunePhase.PRUNE_PHASE_FINE_TUNING).setProgressPercent(62)
            .setParamCountBefore(pi4Base.description().params()).setMacsBefore(pi4Base.description().macs())
            .setPredictedLatencyP95Us(1_720_000));
    return pi4;
  }

  private static RegisteredModel pruned(CloudService cloud, String profile, double ratio, double width, long seed,
      double predictedMs, QualityMetrics quality, RegisteredModel base) throws Exception {
    byte[] onnx = InversionNet.build(InversionNetConfig.defaults().withWidth(width).withSeed(seed)).toByteArray();
    return cloud.registry().register(profile, onnx, "test " + profile + " pruned " + ratio, Registration.none()
        .withQuality(quality).withBaseModel(ref(base))
        .withPlan(PrunePlanSummary.newBuilder().setJobId("seeded").setMethod(PruneMethod.PRUNE_METHOD_UNIFORM_L1)
            .setChannelRatio(ratio).setPredictedLatencyP95Us(Math.round(predictedMs * 1000)).setFineTuneEpochs(2)
            .build()));
  }

  private static void job(CloudService cloud, String id, String profile, long created, String why,
      PruneJobReport.Builder report) throws Exception {
    cloud.jobStore().add(PruneJob.newBuilder().setJobId(id)
        .setProfile(cloud.catalog().get(profile).orElseThrow().toProto())
        .setMethod(PruneMethod.PRUNE_METHOD_UNIFORM_L1).setRequestedBy(why).setCreatedUnixMs(created).build());
    cloud.jobStore().update(report.setJobId(id).build());
  }

  private static QualityMetrics quality(double mae, double rmse, double ssim) {
    return QualityMetrics.newBuilder().setMaeMPerS(mae).setRmseMPerS(rmse).setSsim(ssim).setEvalDatasetId("flatvel-a")
        .setEvalSampleCount(500).build();
  }

  private static ModelRef ref(RegisteredModel m) {
    return ModelRef.newBuilder().setModelId(m.modelId()).setVersion(m.version())
        .setSha256(ByteString.copyFrom(HexFormat.of().parseHex(m.sha256Hex()))).build();
  }

  private SimulatedDevice device(String id, String profile, RegisteredModel model, double p95Ms) throws Exception {
    SimulatedDevice d = SimulatedDevice.connect(mqttUrl, id, profile, ref(model), p95Ms);
    open.keep(d);
    return d;
  }

  private WebDriver chrome() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--window-size=1600,1000");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    WebDriver driver = new ChromeDriver(service, options);
    open.keep(driver::quit);
    return driver;
  }

  private static void enterToken(WebDriver driver, WebDriverWait wait, String token) {
    wait.until(d -> d.findElement(By.id("token-dialog")).getAttribute("open") != null);
    WebElement input = driver.findElement(By.id("token-input"));
    input.clear();
    input.sendKeys(token);
    driver.findElement(By.id("token-save")).click();
    wait.until(d -> d.findElement(By.id("token-dialog")).getAttribute("open") == null);
  }

  /**
   * The whole page as Chromium renders it (beyond the window, through the DevTools protocol), after
   * the window was made as tall as the page and the next snapshot has been drawn at that size.
   */
  @SuppressWarnings("unchecked")
  private static void screenshot(WebDriver driver, WebDriverWait wait) throws Exception {
    JavascriptExecutor js = (JavascriptExecutor) driver;
    long height = ((Number) js.executeScript("return document.documentElement.scrollHeight;")).longValue();
    driver.manage().window().setSize(new Dimension(1600, (int) Math.min(height + 100, 8000)));
    js.executeScript("window.scrollTo(0, 0);");
    String drawn = driver.findElement(By.id("updated")).getText();
    wait.until(d -> !d.findElement(By.id("updated")).getText().equals(drawn));
    ChromeDriver chrome = (ChromeDriver) driver;
    Map<String, Object> size = (Map<String, Object>) chrome.executeCdpCommand("Page.getLayoutMetrics", Map.of())
        .get("cssContentSize");
    Map<String, Object> shot = chrome.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
        "captureBeyondViewport", true, "clip", Map.of("x", 0, "y", 0, "width", size.get("width"),
            "height", size.get("height"), "scale", 1)));
    Files.createDirectories(SCREENSHOT.getParent());
    Files.write(SCREENSHOT, Base64.getDecoder().decode((String) shot.get("data")));
  }

  private URI uri(String path) {
    return URI.create(base.toString()).resolve(path);
  }

  private HttpResponse<String> get(String path) {
    try {
      return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError("GET " + path + " failed", e);
    }
  }

  private JsonNode rollout(String id) throws Exception {
    HttpResponse<String> r = get("/api/rollouts/" + id);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private JsonNode post(String path, int expected) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path))
        .header("Authorization", "Bearer " + DashboardBrokers.TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(expected, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private JsonNode upload(String profile, ModelProto model, double predictedMs) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/profiles/" + profile
            + "/models?predictedP95Ms=" + predictedMs))
        .header("Authorization", "Bearer " + DashboardBrokers.TOKEN).header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(model.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  /** The first event of GET /api/stream, as JSON. */
  private JsonNode firstStreamEvent() throws Exception {
    HttpResponse<Stream<String>> r = http.sendAsync(HttpRequest.newBuilder(uri("/api/stream"))
        .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines()).get(30, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), r.headers().toString());
    try (Stream<String> lines = r.body()) {
      String data = lines.filter(l -> l.startsWith("data:")).findFirst().orElseThrow();
      return JSON.readTree(data.substring("data:".length()));
    }
  }
}
