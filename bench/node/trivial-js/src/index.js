// The trivial Worker for wrangler dev reload timing (the JS counterpart of bench/workers/trivial).
export default {
  async fetch() {
    return new Response("hello");
  },
};
