package org.gitopsrelay.api;

import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.gitopsrelay.config.Role;
import org.gitopsrelay.config.Roles;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A process without the {@code ingest} role answers webhooks and the API with 404 and says which process does, so a
 * misrouted Service shows at once; health and metrics stay served by every role.
 */
public class IngestRoleFilter {

    private final Roles roles;

    @Inject
    public IngestRoleFilter(Roles roles) {
        this.roles = roles;
    }

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION - 100)
    public Response check(ContainerRequestContext request) {
        if (roles.runs(Role.INGEST)) {
            return null;
        }
        String path = request.getUriInfo().getPath();
        boolean ingestPath = path.equals("/api") || path.startsWith("/api/") || path.startsWith("/webhooks/");
        if (!ingestPath) {
            return null;
        }
        return Response.status(404).entity(Map.of("error", "This process runs the roles " + roles.all()
                + " (relay.roles); webhooks and the API are served by the ingest role"))
                .type(MediaType.APPLICATION_JSON_TYPE).build();
    }
}
