// Stochastic Roberts-cross unit (golden model: sim/models/stochastic/roberts.py, sng="lfsr").
//
// One output pixel per N cycles. Inputs a, b, c, d are the 2x2 window (a = x(i,j),
// b = x(i,j+1), c = x(i+1,j), d = x(i+1,j+1)), 8-bit unsigned.
//   * three 8-bit Fibonacci LFSRs, reloaded with their seeds for every pixel:
//     state <= {state[6:0], ^(state & TAPS)}
//   * SNG comparators bit = (R_t <= X): (a, d) share LFSR_AD, (b, c) share LFSR_BC (SCC = +1),
//     the MUX select is (R_S <= SEL_CODE) from the independent LFSR_S
//   * y = sel ? (a ^ d) : (b ^ c); the counter adds y over N cycles.
// Handshake: the pixel is accepted at a rising edge with in_valid && in_ready (edge E0);
// cycles t = 0..N-1 follow; out_count is valid (out_valid = 1 for one cycle) after edge E_N,
// which is also the edge at which the next pixel can be accepted. Throughput: N cycles/pixel;
// P back-to-back pixels take P*N + 1 cycles from E0 to the last result (latency 1).
module sc_lfsr8 #(
    parameter int TAPS = 8'hB8,
    parameter int SEED = 8'h01
) (
    input  logic       clk,
    input  logic       load,
    input  logic       step,
    output logic [7:0] state
);
  localparam logic [7:0] TapMask = TAPS[7:0];
  localparam logic [7:0] Seed = SEED[7:0];
  always_ff @(posedge clk) begin
    if (load) state <= Seed;
    else if (step) state <= {state[6:0], ^(state & TapMask)};
  end
endmodule

// The stochastic arithmetic itself: 2 XOR + 1 MUX.
module sc_core (
    input  logic a,
    input  logic b,
    input  logic c,
    input  logic d,
    input  logic sel,
    output logic y
);
  assign y = sel ? (a ^ d) : (b ^ c);
endmodule

module sc_roberts #(
    parameter int N = 256,
    parameter int TAPS_AD = 8'hB8,
    parameter int SEED_AD = 8'h01,
    parameter int TAPS_BC = 8'hB4,
    parameter int SEED_BC = 8'h5A,
    parameter int TAPS_S = 8'h8E,
    parameter int SEED_S = 8'h81,
    parameter int SEL_CODE = 128
) (
    input  logic                     clk,
    input  logic                     rst,
    input  logic                     in_valid,
    output logic                     in_ready,
    input  logic [7:0]               a,
    input  logic [7:0]               b,
    input  logic [7:0]               c,
    input  logic [7:0]               d,
    output logic                     out_valid,
    output logic [$clog2(N+1)-1:0]   out_count
);
  localparam int CW = $clog2(N + 1);
  localparam int TW = (N > 1) ? $clog2(N) : 1;
  localparam logic [TW-1:0] Last = TW'(N - 1);
  localparam logic [7:0] SelCode = SEL_CODE[7:0];

  logic busy;
  logic [TW-1:0] t;
  logic [CW-1:0] cnt;
  logic [7:0] ra, rb, rc, rd;
  logic [7:0] r_ad, r_bc, r_s;
  logic last, accept, y;

  assign last = busy && (t == Last);
  assign in_ready = !busy || last;
  assign accept = in_valid && in_ready;

  sc_lfsr8 #(.TAPS(TAPS_AD), .SEED(SEED_AD)) u_ad (.clk, .load(accept), .step(busy), .state(r_ad));
  sc_lfsr8 #(.TAPS(TAPS_BC), .SEED(SEED_BC)) u_bc (.clk, .load(accept), .step(busy), .state(r_bc));
  sc_lfsr8 #(.TAPS(TAPS_S), .SEED(SEED_S)) u_s (.clk, .load(accept), .step(busy), .state(r_s));

  sc_core u_core (
      .a(r_ad <= ra),
      .b(r_bc <= rb),
      .c(r_bc <= rc),
      .d(r_ad <= rd),
      .sel(r_s <= SelCode),
      .y(y)
  );

  always_ff @(posedge clk) begin
    if (rst) begin
      busy <= 1'b0;
      out_valid <= 1'b0;
      out_count <= '0;
      t <= '0;
      cnt <= '0;
    end else begin
      out_valid <= 1'b0;
      if (busy) begin
        if (last) begin
          out_count <= cnt + CW'(y);
          out_valid <= 1'b1;
          busy <= 1'b0;
        end else begin
          cnt <= cnt + CW'(y);
          t <= t + 1'b1;
        end
      end
      if (accept) begin
        ra <= a;
        rb <= b;
        rc <= c;
        rd <= d;
        cnt <= '0;
        t <= '0;
        busy <= 1'b1;
      end
    end
  end
endmodule
