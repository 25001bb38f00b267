package org.gitopsrelay.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.gitopsrelay.config.RelayConfig;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** Every {@code /api} call carries {@code Authorization: Bearer <relay.api.token>}, compared in constant time. */
public class ApiTokenFilter {

    private final RelayConfig config;

    @Inject
    public ApiTokenFilter(RelayConfig config) {
        this.config = config;
    }

    @ServerRequestFilter
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.equals("/api") && !path.startsWith("/api/")) {
            return null;
        }
        String token = config.api().token().orElse(null);
        if (token == null || token.isEmpty()) {
            return refuse("No API token is configured (relay.api.token): every /api call is refused");
        }
        String header = request.getHeaderString("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            return refuse("An Authorization: Bearer header is required");
        }
        byte[] given = header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), given)) {
            return refuse("The bearer token is not valid");
        }
        return null;
    }

    private static Response refuse(String message) {
        return Response.status(401).header("WWW-Authenticate", "Bearer realm=\"gitops-relay\"")
                .entity(Map.of("error", message)).type(MediaType.APPLICATION_JSON_TYPE).build();
    }
}
