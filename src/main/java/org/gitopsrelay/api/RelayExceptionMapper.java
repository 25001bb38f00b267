package org.gitopsrelay.api;

import java.util.Map;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.gitopsrelay.shared.RelayException;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** A failure of an {@code /api} call answers with its reason's status and a message that says what went wrong. */
public class RelayExceptionMapper {

    @ServerExceptionMapper
    public Response map(RelayException e) {
        return Response.status(e.reason().httpStatus()).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("error", e.getMessage(), "reason", e.reason().tag())).build();
    }
}
