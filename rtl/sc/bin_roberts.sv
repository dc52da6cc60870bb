// Binary Roberts-cross unit (golden model: sim/models/stochastic/roberts.py roberts_binary).
// G = |a - d| + |b - c|: two 8-bit subtractors, two absolute values, one adder (9-bit result).
// One pixel per cycle; the result is registered: a window presented with in_valid before edge
// E_k appears on out_g with out_valid = 1 after that same edge (latency 1 cycle).
module bin_core (
    input  logic [7:0] a,
    input  logic [7:0] b,
    input  logic [7:0] c,
    input  logic [7:0] d,
    output logic [8:0] g
);
  logic [8:0] diff_ad, diff_bc;
  logic [7:0] abs_ad, abs_bc;
  assign diff_ad = {1'b0, a} - {1'b0, d};
  assign diff_bc = {1'b0, b} - {1'b0, c};
  assign abs_ad = diff_ad[8] ? (~diff_ad[7:0] + 8'd1) : diff_ad[7:0];
  assign abs_bc = diff_bc[8] ? (~diff_bc[7:0] + 8'd1) : diff_bc[7:0];
  assign g = {1'b0, abs_ad} + {1'b0, abs_bc};
endmodule

module bin_roberts #(
    parameter int W = 8  // pixel width; only 8 is supported (kept as a build key)
) (
    input  logic       clk,
    input  logic       rst,
    input  logic       in_valid,
    input  logic [7:0] a,
    input  logic [7:0] b,
    input  logic [7:0] c,
    input  logic [7:0] d,
    output logic       out_valid,
    output logic [8:0] out_g
);
  logic [8:0] g;
  bin_core u_core (.a, .b, .c, .d, .g);
  always_ff @(posedge clk) begin
    if (rst) begin
      out_valid <= 1'b0;
      out_g <= '0;
    end else begin
      out_valid <= in_valid;
      if (in_valid) out_g <= g;
    end
  end
endmodule
