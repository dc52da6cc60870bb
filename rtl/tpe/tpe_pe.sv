/* verilator lint_off DECLFILENAME */
// Bit-weight TPE PEs (reference: Wu et al., HPCA 2025; golden model sim/models/tpe/arith.py).
// All operands INT8 two's complement. Synchronous active-high clear.

// Radix-4 Booth partial product d_i(a) * b, sign-extended to W bits and shifted by 2i.
module tpe_booth_pp #(parameter int W = 32, parameter int I = 0) (
    input  logic [7:0]   a,
    input  logic [7:0]   b,
    output logic [W-1:0] pp
);
    logic [2:0] tri3;
    logic signed [9:0] bx, mag;
    assign tri3 = (I == 0) ? {a[1], a[0], 1'b0} : {a[2*I+1], a[2*I], a[2*I-1]};
    assign bx = {{2{b[7]}}, b};
    always_comb begin
        case (tri3)
            3'b001, 3'b010: mag = bx;
            3'b011:         mag = bx <<< 1;
            3'b100:         mag = -(bx <<< 1);
            3'b101, 3'b110: mag = -bx;
            default:        mag = '0;
        endcase
    end
    logic [W-1:0] ext;
    assign ext = {{(W-10){mag[9]}}, mag};
    assign pp = ext << (2 * I);
endmodule

// One row of 3:2 counters.
module tpe_csa #(parameter int W = 32) (
    input  logic [W-1:0] x, y, z,
    output logic [W-1:0] s, c
);
    assign s = x ^ y ^ z;
    assign c = ((x & y) | (x & z) | (y & z)) << 1;
endmodule

// Baseline MAC PE: registered a, b; acc <= acc + a*b (W-bit wrap). Latency 2.
module tpe_mac_pe #(parameter int W = 32) (
    input  logic                clk,
    input  logic                clr,
    input  logic                vld,
    input  logic signed [7:0]   a,
    input  logic signed [7:0]   b,
    output logic signed [W-1:0] acc
);
    logic signed [7:0] a_r, b_r;
    logic v_r;
    logic signed [15:0] prod;
    logic signed [W-1:0] add_out;  // the adder output (named so benches can count its toggles)
    assign prod = a_r * b_r;
    assign add_out = acc + W'(prod);
    always_ff @(posedge clk) begin
        a_r <= a;
        b_r <= b;
        v_r <= vld & ~clr;
        if (clr) acc <= '0;
        else if (v_r) acc <= add_out;
    end
endmodule

// OPT1 PE: Booth PPs and a 6-input CSA tree {PP0..PP3, sum, carry} -> registered (sum, carry).
// No CPA in the loop; the value is (sum + carry) mod 2^W. Latency 2.
module tpe_opt1_pe #(parameter int W = 32) (
    input  logic         clk,
    input  logic         clr,
    input  logic         vld,
    input  logic [7:0]   a,
    input  logic [7:0]   b,
    output logic [W-1:0] sum,
    output logic [W-1:0] carry
);
    logic [7:0] a_r, b_r;
    logic v_r;
    logic [W-1:0] pp [4];
    for (genvar i = 0; i < 4; i++) begin : g_pp
        tpe_booth_pp #(.W(W), .I(i)) u_pp (.a(a_r), .b(b_r), .pp(pp[i]));
    end
    logic [W-1:0] s1, c1, s2, c2, s3, c3, s4, c4;
    tpe_csa #(.W(W)) u1 (.x(pp[0]), .y(pp[1]), .z(pp[2]), .s(s1), .c(c1));
    tpe_csa #(.W(W)) u2 (.x(pp[3]), .y(sum), .z(carry), .s(s2), .c(c2));
    tpe_csa #(.W(W)) u3 (.x(s1), .y(c1), .z(s2), .s(s3), .c(c3));
    tpe_csa #(.W(W)) u4 (.x(s3), .y(c3), .z(c2), .s(s4), .c(c4));
    always_ff @(posedge clk) begin
        a_r <= a;
        b_r <= b;
        v_r <= vld & ~clr;
        if (clr) begin
            sum <= '0;
            carry <= '0;
        end else if (v_r) begin
            sum <= s4;
            carry <= c4;
        end
    end
endmodule

// Bench top: the two word-parallel PEs at two accumulator widths (OS 32 bit, WS 20 bit), all
// fed the same operand stream.
module tpe_pe_top #(parameter int W1 = 32, parameter int W2 = 20) (
    input  logic          clk,
    input  logic          clr,
    input  logic          vld,
    input  logic [7:0]    a,
    input  logic [7:0]    b,
    output logic [W1-1:0] mac_acc,
    output logic [W1-1:0] opt1_sum,
    output logic [W1-1:0] opt1_carry,
    output logic [W2-1:0] mac_acc_n,
    output logic [W2-1:0] opt1_sum_n,
    output logic [W2-1:0] opt1_carry_n
);
    tpe_mac_pe #(.W(W1)) u_mac (.clk, .clr, .vld, .a(a), .b(b), .acc(mac_acc));
    tpe_opt1_pe #(.W(W1)) u_opt1 (.clk, .clr, .vld, .a, .b, .sum(opt1_sum), .carry(opt1_carry));
    tpe_mac_pe #(.W(W2)) u_mac_n (.clk, .clr, .vld, .a(a), .b(b), .acc(mac_acc_n));
    tpe_opt1_pe #(.W(W2)) u_opt1_n (.clk, .clr, .vld, .a, .b, .sum(opt1_sum_n),
                                    .carry(opt1_carry_n));
endmodule
