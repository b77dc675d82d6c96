// Small things several test files need.
import net from "node:net";

/** The steps 0..n-1 in a random order (Fisher-Yates). */
export function shuffledSteps(n) {
  const steps = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [steps[i], steps[j]] = [steps[j], steps[i]];
  }
  return steps;
}

/** The address of a loopback port nothing listens on (it was free a moment ago). */
export function deadAddress() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
}
