package fwi.cloud.web;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;
import java.net.URI;

/**
 * {@code GET /dashboard}: sends the browser to the dashboard page, which is served at {@code /}
 * ({@code META-INF/resources/index.html}), so both addresses work and one is canonical.
 */
@Path("/dashboard")
public class DashboardPage {
  @GET
  public Response page() {
    return Response.seeOther(URI.create("/")).build();
  }
}
