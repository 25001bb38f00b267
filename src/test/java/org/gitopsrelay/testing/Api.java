package org.gitopsrelay.testing;

import static io.restassured.RestAssured.given;

import io.restassured.specification.RequestSpecification;

/** Calls to the relay's /api as a bearer of a token (see {@link RelayTestEnvironment}'s tokens and their roles). */
public final class Api {

    private Api() {
    }

    public static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token).contentType("application/json");
    }
}
