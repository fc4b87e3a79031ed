import { describe, expect, it } from "vitest";
import { canonicalQuantity, compareQuantities, formatQuantity, isQuantity, parseQuantity } from "../../src/lib/quantity";

describe("parseQuantity", () => {
  it.each([
    ["100m", 100, "DecimalSI"],
    ["1", 1000, "DecimalSI"],
    ["1.5", 1500, "DecimalSI"],
    ["1e3", 1_000_000, "DecimalExponent"],
    ["1Ki", 1_024_000, "BinarySI"],
    ["512Mi", 512 * 1024 * 1024 * 1000, "BinarySI"],
    ["1Gi", 1024 ** 3 * 1000, "BinarySI"],
    ["2k", 2_000_000, "DecimalSI"],
    ["1n", 1, "DecimalSI"],
    ["-2", -2000, "DecimalSI"],
    [".5", 500, "DecimalSI"],
    [0.25, 250, "DecimalSI"],
    [3, 3000, "DecimalSI"],
  ] as const)("%s", (s, milli, format) => expect(parseQuantity(s)).toEqual({ milli, format }));

  it.each(["", "abc", "1.2.3", "1Gb", "1 Gi", "m", "."])("rejects %j", (s) => {
    expect(parseQuantity(s)).toBeUndefined();
    expect(isQuantity(s)).toBe(false);
  });
});

describe("canonical form", () => {
  it.each([
    ["0.5", "500m"],
    ["1000m", "1"],
    ["1.5Gi", "1536Mi"],
    ["1024Mi", "1Gi"],
    ["1500", "1500"],
    ["2000", "2k"],
    ["1e3", "1e3"],
    ["0", "0"],
    ["1.5Ki", "1536"],
    ["8Ei", "8Ei"],
    [0.1, "100m"],
  ] as const)("%s -> %s", (s, want) => expect(canonicalQuantity(s)).toBe(want));

  it("formats millis in each family", () => {
    expect(formatQuantity(250)).toBe("250m");
    expect(formatQuantity(2 * 1024 * 1000, "BinarySI")).toBe("2Ki");
    expect(formatQuantity(-3000)).toBe("-3");
  });

  it("compares by value across suffixes", () => {
    expect(compareQuantities("1Gi", "1000Mi")).toBeGreaterThan(0);
    expect(compareQuantities("500m", "0.5")).toBe(0);
    expect(compareQuantities("100m", "1")).toBeLessThan(0);
  });
});
