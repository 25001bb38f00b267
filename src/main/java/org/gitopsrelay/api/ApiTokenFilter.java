package org.gitopsrelay.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.gitopsrelay.config.ApiRole;
import org.gitopsrelay.config.RelayConfig;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every {@code /api} call carries {@code Authorization: Bearer <token>}: the admin's {@code relay.api.token} or one
 * of the named {@code relay.api.tokens}, with the role the call needs ({@link ApiAccess}). 401 for no token or an
 * unknown one, 403 for a known one without the role. The caller is kept on the request ({@link #CALLER}) so that
 * what it does names who asked.
 */
public class ApiTokenFilter {

    /** The request property holding the {@link ApiCaller}. */
    public static final String CALLER = "relay.api.caller";

    private record Known(ApiCaller caller, byte[] digest) {
    }

    private final List<Known> known = new ArrayList<>();
    private final CurrentCaller current;

    @Inject
    public ApiTokenFilter(RelayConfig config, CurrentCaller current) {
        this.current = current;
        config.api().token().filter(token -> !token.isEmpty())
                .ifPresent(token -> known.add(new Known(new ApiCaller("admin", ApiRole.ADMIN), digest(token))));
        config.api().tokens().forEach((name, named) -> known
                .add(new Known(new ApiCaller(name, named.role()), digest(named.token()))));
    }

    @ServerRequestFilter
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.equals("/api") && !path.startsWith("/api/")) {
            return null;
        }
        if (known.isEmpty()) {
            return refuse("No API token is configured (relay.api.token or relay.api.tokens): every /api call is"
                    + " refused");
        }
        String header = request.getHeaderString("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            return refuse("An Authorization: Bearer header is required");
        }
        ApiCaller caller = callerOf(header.substring("Bearer ".length()).trim());
        if (caller == null) {
            return refuse("The bearer token is not valid");
        }
        ApiRole needed = ApiAccess.required(request.getMethod(), path);
        if (!caller.role().allows(needed)) {
            return Response.status(403).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(Map.of("error", "The token '" + caller.name() + "' has the " + name(caller.role())
                            + " role; " + request.getMethod() + " " + path + " needs " + name(needed)))
                    .build();
        }
        request.setProperty(CALLER, caller);
        current.set(caller);
        return null;
    }

    /** Compares with every known token, all the way: the time taken says nothing of which one (nearly) matched. */
    private ApiCaller callerOf(String token) {
        byte[] given = digest(token);
        ApiCaller found = null;
        for (Known each : known) {
            if (MessageDigest.isEqual(each.digest(), given) && found == null) {
                found = each.caller();
            }
        }
        return found;
    }

    private static String name(ApiRole role) {
        return role.name().toLowerCase(Locale.ROOT);
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static Response refuse(String message) {
        return Response.status(401).header("WWW-Authenticate", "Bearer realm=\"gitops-relay\"")
                .entity(Map.of("error", message)).type(MediaType.APPLICATION_JSON_TYPE).build();
    }
}
