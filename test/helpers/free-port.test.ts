import { describe, expect, test } from "bun:test";
import { freePort } from "./nginx.ts";

describe("the tests' free ports", () => {
  test("no port is handed out twice, though the kernel gives a released port again (an nginx and its upstream would share it)", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 500; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });
});
