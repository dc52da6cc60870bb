/* verilator lint_off DECLFILENAME */
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNOPTFLAT */
// Output-stationary R x C systolic arrays of baseline MAC PEs and OPT1 (carry-save) PEs.
// Needs tpe_pe.sv (tpe_booth_pp, tpe_csa). Golden model: sim/models/tpe/{arith,designs}.py.
//
// One fold of C[R, C] = A[R, T] @ B[T, C]; A[i][k] at a_mat[(i*T_MAX+k)*8 +: 8], B[k][j] at
// b_mat[(k*C+j)*8 +: 8]; C[i][j] at c_out[(i*C+j)*32 +: 32]. Cycle contract (same as
// rtl/systolic and sim.hw.systolic): `cyc` counts edges after the edge E0 that samples `start`;
// PE(i,j) consumes beat k at cyc k+i+j (skewed feeds, operands forwarded right and down); then
// R drain edges shift the accumulators down and the bottom row is written out. MAC: done after
// 2R+C+T-2 edges. OPT1: the (sum, carry) pairs drain and a registered CPA per column fuses them
// at the bottom edge, so done comes one edge later (2R+C+T-1).
module tpe_os_array #(parameter int R = 4, parameter int C = 4, parameter int T_MAX = 16,
                      parameter int OPT1 = 0) (
    input  logic                 clk,
    input  logic                 start,
    input  logic [15:0]          t_len,
    input  logic [R*T_MAX*8-1:0] a_mat,
    input  logic [T_MAX*C*8-1:0] b_mat,
    output logic [R*C*32-1:0]    c_out,
    output logic                 done
);
    logic busy, stream;
    logic [31:0] cyc, t_reg;
    logic [7:0] a_feed [R];
    logic [7:0] b_feed [C];
    logic [7:0] a_reg [R][C];
    logic [7:0] b_reg [R][C];
    logic [7:0] a_in [R][C];
    logic [7:0] b_in [R][C];
    logic [31:0] s_acc [R][C];   // MAC: accumulator; OPT1: sum vector
    logic [31:0] c_acc [R][C];   // OPT1: carry vector (unused by MAC)
    logic [31:0] s_nxt [R][C];
    logic [31:0] c_nxt [R][C];
    logic [31:0] fused [C];
    logic fuse_v;
    logic [7:0] fuse_row;
    localparam int LAST = (OPT1 != 0) ? 2 * R + C - 2 : 2 * R + C - 3;

    assign stream = busy && (cyc < t_reg + 32'(R + C - 2));
    always_comb begin
        for (int i = 0; i < R; i++) begin
            a_feed[i] = '0;
            if (stream && cyc >= 32'(i) && cyc - 32'(i) < t_reg)
                a_feed[i] = a_mat[(i * T_MAX + int'(cyc) - i) * 8 +: 8];
        end
        for (int j = 0; j < C; j++) begin
            b_feed[j] = '0;
            if (stream && cyc >= 32'(j) && cyc - 32'(j) < t_reg)
                b_feed[j] = b_mat[((int'(cyc) - j) * C + j) * 8 +: 8];
        end
        for (int i = 0; i < R; i++)
            for (int j = 0; j < C; j++) begin
                a_in[i][j] = (j == 0) ? a_feed[i] : a_reg[i][j-1];
                b_in[i][j] = (i == 0) ? b_feed[j] : b_reg[i-1][j];
            end
    end
    for (genvar i = 0; i < R; i++) begin : g_r
        for (genvar j = 0; j < C; j++) begin : g_c
            if (OPT1 != 0) begin : g_opt1
                logic [31:0] pp [4];
                for (genvar q = 0; q < 4; q++) begin : g_pp
                    tpe_booth_pp #(.W(32), .I(q)) u_pp (.a(a_in[i][j]), .b(b_in[i][j]),
                                                       .pp(pp[q]));
                end
                logic [31:0] s1, c1, s2, c2, s3, c3;
                tpe_csa #(.W(32)) u1 (.x(pp[0]), .y(pp[1]), .z(pp[2]), .s(s1), .c(c1));
                tpe_csa #(.W(32)) u2 (.x(pp[3]), .y(s_acc[i][j]), .z(c_acc[i][j]), .s(s2),
                                      .c(c2));
                tpe_csa #(.W(32)) u3 (.x(s1), .y(c1), .z(s2), .s(s3), .c(c3));
                tpe_csa #(.W(32)) u4 (.x(s3), .y(c3), .z(c2), .s(s_nxt[i][j]), .c(c_nxt[i][j]));
            end else begin : g_mac
                logic signed [15:0] prod;
                assign prod = $signed(a_in[i][j]) * $signed(b_in[i][j]);
                assign s_nxt[i][j] = s_acc[i][j] + {{16{prod[15]}}, prod};
                assign c_nxt[i][j] = '0;
            end
        end
    end
    always_ff @(posedge clk) begin
        fuse_v <= 1'b0;
        if (start) begin
            busy <= 1'b1;
            done <= 1'b0;
            cyc <= '0;
            t_reg <= 32'(t_len);
            for (int i = 0; i < R; i++)
                for (int j = 0; j < C; j++) begin
                    a_reg[i][j] <= '0;
                    b_reg[i][j] <= '0;
                    s_acc[i][j] <= '0;
                    c_acc[i][j] <= '0;
                end
        end else if (busy) begin
            cyc <= cyc + 32'd1;
            if (stream) begin
                for (int i = 0; i < R; i++)
                    for (int j = 0; j < C; j++) begin
                        a_reg[i][j] <= a_in[i][j];
                        b_reg[i][j] <= b_in[i][j];
                        s_acc[i][j] <= s_nxt[i][j];
                        c_acc[i][j] <= c_nxt[i][j];
                    end
            end else if (cyc < t_reg + 32'(2 * R + C - 2)) begin
                // drain edge d: bottom row (= original row R-1-d) leaves the array
                for (int j = 0; j < C; j++) begin
                    if (OPT1 != 0) fused[j] <= s_acc[R-1][j] + c_acc[R-1][j];
                    else c_out[((R - 1 - (int'(cyc) - int'(t_reg) - R - C + 2)) * C + j) * 32
                               +: 32] <= s_acc[R-1][j];
                    s_acc[0][j] <= '0;
                    c_acc[0][j] <= '0;
                    for (int i = 1; i < R; i++) begin
                        s_acc[i][j] <= s_acc[i-1][j];
                        c_acc[i][j] <= c_acc[i-1][j];
                    end
                end
                fuse_v <= 1'b1;
                fuse_row <= 8'(R - 1 - (int'(cyc) - int'(t_reg) - R - C + 2));
            end
            if (cyc == 32'(LAST) + t_reg) begin
                busy <= 1'b0;
                done <= 1'b1;
            end
        end
        if (OPT1 != 0 && fuse_v)
            for (int j = 0; j < C; j++) c_out[(int'(fuse_row) * C + j) * 32 +: 32] <= fused[j];
    end
endmodule

// Bench top: a MAC array and an OPT1 array on the same operands.
module tpe_os_top #(parameter int R = 4, parameter int C = 4, parameter int T_MAX = 16) (
    input  logic                 clk,
    input  logic                 start,
    input  logic [15:0]          t_len,
    input  logic [R*T_MAX*8-1:0] a_mat,
    input  logic [T_MAX*C*8-1:0] b_mat,
    output logic [R*C*32-1:0]    mac_out,
    output logic                 mac_done,
    output logic [R*C*32-1:0]    opt1_out,
    output logic                 opt1_done
);
    tpe_os_array #(.R(R), .C(C), .T_MAX(T_MAX), .OPT1(0)) u_mac (
        .clk, .start, .t_len, .a_mat, .b_mat, .c_out(mac_out), .done(mac_done));
    tpe_os_array #(.R(R), .C(C), .T_MAX(T_MAX), .OPT1(1)) u_opt1 (
        .clk, .start, .t_len, .a_mat, .b_mat, .c_out(opt1_out), .done(opt1_done));
endmodule

// Weight-stationary R x C arrays: one fold of C[T, C] = P[T, C] + A[T, R] @ W[R, C].
// A[t][i] at a_mat[(t*R+i)*8 +: 8]; W[r][j] at w_mat[(r*C+j)*8 +: 8]; P[t][j] at
// p_mat[(t*C+j)*32 +: 32]; C[t][j] at c_out[(t*C+j)*32 +: 32]. Contract (as rtl/systolic and
// sim.hw.systolic): R preload edges shift the weights down, A row t enters PE row i at cyc
// R+t+i, psums flow down, PE(i,j) handles row t at cyc R+t+i+j. MAC: the bottom row writes
// C[t][j] at the edge ending cyc 2R-1+t+j; done after 2R+C+T-2 edges. OPT1: (sum, carry) pairs
// flow down and the bottom row's pair is fused by a registered CPA one edge later (2R+C+T-1).
module tpe_ws_array #(parameter int R = 4, parameter int C = 4, parameter int T_MAX = 8,
                      parameter int OPT1 = 0) (
    input  logic                  clk,
    input  logic                  start,
    input  logic [15:0]           t_len,
    input  logic [T_MAX*R*8-1:0]  a_mat,
    input  logic [R*C*8-1:0]      w_mat,
    input  logic [T_MAX*C*32-1:0] p_mat,
    output logic [T_MAX*C*32-1:0] c_out,
    output logic                  done
);
    logic busy, preload, stream;
    logic [31:0] cyc, t_reg;
    logic [7:0] w_reg [R][C];
    logic [7:0] a_reg [R][C];
    logic [31:0] ps_reg [R][C];
    logic [31:0] pc_reg [R][C];
    logic [7:0] a_feed [R];
    logic [31:0] p_feed [C];
    logic [7:0] a_in [R][C];
    logic [31:0] ps_in [R][C];
    logic [31:0] pc_in [R][C];
    logic [31:0] s_nxt [R][C];
    logic [31:0] c_nxt [R][C];
    localparam int LAST = (OPT1 != 0) ? 2 * R + C - 2 : 2 * R + C - 3;
    int t_out [C];  // output row written at this edge by column j
    always_comb begin
        for (int j = 0; j < C; j++)
            t_out[j] = int'(cyc) - 2 * R + ((OPT1 != 0) ? 0 : 1) - j;
    end
    assign preload = busy && (cyc < 32'(R));
    assign stream = busy && (cyc >= 32'(R));
    always_comb begin
        for (int i = 0; i < R; i++) begin
            a_feed[i] = '0;
            if (stream && cyc >= 32'(R + i) && cyc - 32'(R + i) < t_reg)
                a_feed[i] = a_mat[((int'(cyc) - R - i) * R + i) * 8 +: 8];
        end
        for (int j = 0; j < C; j++) begin
            p_feed[j] = '0;
            if (stream && cyc >= 32'(R + j) && cyc - 32'(R + j) < t_reg)
                p_feed[j] = p_mat[((int'(cyc) - R - j) * C + j) * 32 +: 32];
        end
        for (int i = 0; i < R; i++)
            for (int j = 0; j < C; j++) begin
                a_in[i][j] = (j == 0) ? a_feed[i] : a_reg[i][j-1];
                ps_in[i][j] = (i == 0) ? p_feed[j] : ps_reg[i-1][j];
                pc_in[i][j] = (i == 0) ? 32'd0 : pc_reg[i-1][j];
            end
    end
    for (genvar i = 0; i < R; i++) begin : g_r
        for (genvar j = 0; j < C; j++) begin : g_c
            if (OPT1 != 0) begin : g_opt1
                logic [31:0] pp [4];
                for (genvar q = 0; q < 4; q++) begin : g_pp
                    tpe_booth_pp #(.W(32), .I(q)) u_pp (.a(a_in[i][j]), .b(w_reg[i][j]),
                                                       .pp(pp[q]));
                end
                logic [31:0] s1, c1, s2, c2, s3, c3;
                tpe_csa #(.W(32)) u1 (.x(pp[0]), .y(pp[1]), .z(pp[2]), .s(s1), .c(c1));
                tpe_csa #(.W(32)) u2 (.x(pp[3]), .y(ps_in[i][j]), .z(pc_in[i][j]), .s(s2),
                                      .c(c2));
                tpe_csa #(.W(32)) u3 (.x(s1), .y(c1), .z(s2), .s(s3), .c(c3));
                tpe_csa #(.W(32)) u4 (.x(s3), .y(c3), .z(c2), .s(s_nxt[i][j]), .c(c_nxt[i][j]));
            end else begin : g_mac
                logic signed [15:0] prod;
                assign prod = $signed(a_in[i][j]) * $signed(w_reg[i][j]);
                assign s_nxt[i][j] = ps_in[i][j] + {{16{prod[15]}}, prod};
                assign c_nxt[i][j] = '0;
            end
        end
    end
    always_ff @(posedge clk) begin
        if (start) begin
            busy <= 1'b1;
            done <= 1'b0;
            cyc <= '0;
            t_reg <= 32'(t_len);
            for (int i = 0; i < R; i++)
                for (int j = 0; j < C; j++) begin
                    a_reg[i][j] <= '0;
                    ps_reg[i][j] <= '0;
                    pc_reg[i][j] <= '0;
                end
        end else if (busy) begin
            cyc <= cyc + 32'd1;
            if (preload) begin
                for (int j = 0; j < C; j++) begin
                    w_reg[0][j] <= w_mat[((R - 1 - int'(cyc)) * C + j) * 8 +: 8];
                    for (int i = 1; i < R; i++) w_reg[i][j] <= w_reg[i-1][j];
                end
            end else begin
                for (int i = 0; i < R; i++)
                    for (int j = 0; j < C; j++) begin
                        a_reg[i][j] <= a_in[i][j];
                        ps_reg[i][j] <= s_nxt[i][j];
                        pc_reg[i][j] <= c_nxt[i][j];
                    end
                for (int j = 0; j < C; j++) begin
                    // OPT1: the pair registered at the previous edge (row t_out) is fused now
                    if (t_out[j] >= 0 && t_out[j] < int'(t_reg))
                        c_out[(t_out[j] * C + j) * 32 +: 32] <= (OPT1 != 0)
                            ? ps_reg[R-1][j] + pc_reg[R-1][j] : s_nxt[R-1][j];
                end
            end
            if (cyc == 32'(LAST) + t_reg) begin
                busy <= 1'b0;
                done <= 1'b1;
            end
        end
    end
endmodule

module tpe_ws_top #(parameter int R = 4, parameter int C = 4, parameter int T_MAX = 8) (
    input  logic                  clk,
    input  logic                  start,
    input  logic [15:0]           t_len,
    input  logic [T_MAX*R*8-1:0]  a_mat,
    input  logic [R*C*8-1:0]      w_mat,
    input  logic [T_MAX*C*32-1:0] p_mat,
    output logic [T_MAX*C*32-1:0] mac_out,
    output logic                  mac_done,
    output logic [T_MAX*C*32-1:0] opt1_out,
    output logic                  opt1_done
);
    tpe_ws_array #(.R(R), .C(C), .T_MAX(T_MAX), .OPT1(0)) u_mac (
        .clk, .start, .t_len, .a_mat, .w_mat, .p_mat, .c_out(mac_out), .done(mac_done));
    tpe_ws_array #(.R(R), .C(C), .T_MAX(T_MAX), .OPT1(1)) u_opt1 (
        .clk, .start, .t_len, .a_mat, .w_mat, .p_mat, .c_out(opt1_out), .done(opt1_done));
endmodule

// D-cycle delay line (D = 0: wire).
module tpe_delay #(parameter int W = 8, parameter int D = 1) (
    input  logic         clk,
    input  logic [W-1:0] d,
    output logic [W-1:0] q
);
    if (D == 0) begin : g_wire
        assign q = d;
    end else begin : g_regs
        logic [W-1:0] r [D];
        always_ff @(posedge clk) begin
            r[0] <= d;
            for (int i = 1; i < D; i++) r[i] <= r[i-1];
        end
        assign q = r[D-1];
    end
endmodule

// n-operand carry-save reduction (a chain of 3:2 rows); only (s + c) mod 2^W matters.
module tpe_csa_n #(parameter int W = 32, parameter int N = 6) (
    input  logic [N*W-1:0] ops,
    output logic [W-1:0]   s,
    output logic [W-1:0]   c
);
    logic [W-1:0] st [N - 1][N];
    for (genvar i = 0; i < N; i++) begin : g_st0
        assign st[0][i] = ops[i*W +: W];
    end
    for (genvar t = 0; t < N - 2; t++) begin : g_row
        localparam int NN = N - t;
        for (genvar i = 0; i < NN - 3; i++) begin : g_keep
            assign st[t+1][i] = st[t][i];
        end
        assign st[t+1][NN-3] = st[t][NN-3] ^ st[t][NN-2] ^ st[t][NN-1];
        assign st[t+1][NN-2] = ((st[t][NN-3] & st[t][NN-2]) | (st[t][NN-3] & st[t][NN-1])
                                | (st[t][NN-2] & st[t][NN-1])) << 1;
        for (genvar i = NN - 1; i < N; i++) begin : g_pad
            assign st[t+1][i] = '0;
        end
    end
    assign s = st[N-2][0];
    assign c = st[N-2][1];
endmodule

// 3-D cube X x Y x Z (M x K x N): a stream of tile products A[X, Y] @ B[Y, Z], one per cycle.
// A[i][k] moves +z, B[k][j] moves +x, partial sums +y; PE(i,k,j) handles tile t at edge
// t+1+i+j+k. Per output (i,j) the K tiles of a block accumulate (flags `first`, `last` travel
// with the tile); `vld[i*Z+j]` pulses when the block's last tile is added. MAC: the last output
// of tile t lands at edge t+X+Y+Z-1; OPT1 fuses the (sum, carry) pair one edge later.
// a_tile[(i*Y+k)*8 +: 8], b_tile[(k*Z+j)*8 +: 8], acc[(i*Z+j)*32 +: 32].
module tpe_cube #(parameter int X = 2, parameter int Y = 2, parameter int Z = 2,
                  parameter int OPT1 = 0) (
    input  logic            clk,
    input  logic [X*Y*8-1:0] a_tile,
    input  logic [Y*Z*8-1:0] b_tile,
    input  logic            first,
    input  logic            last,
    input  logic            tvld,
    output logic [X*Z*32-1:0] acc,
    output logic [X*Z-1:0]  vld
);
    localparam int F = (OPT1 != 0) ? 1 : 0;
    logic [7:0] a_inj [X][Y];
    logic [7:0] b_inj [Y][Z];
    logic [7:0] a_reg [X][Y][Z];
    logic [7:0] b_reg [X][Y][Z];
    logic [31:0] ps [X][Y][Z];
    logic [31:0] pc [X][Y][Z];
    for (genvar i = 0; i < X; i++) begin : g_ai
        for (genvar k = 0; k < Y; k++) begin : g_ak
            tpe_delay #(.W(8), .D(i + k)) u_d (.clk, .d(a_tile[(i*Y+k)*8 +: 8]),
                                               .q(a_inj[i][k]));
        end
    end
    for (genvar k = 0; k < Y; k++) begin : g_bk
        for (genvar j = 0; j < Z; j++) begin : g_bj
            tpe_delay #(.W(8), .D(k + j)) u_d (.clk, .d(b_tile[(k*Z+j)*8 +: 8]),
                                               .q(b_inj[k][j]));
        end
    end
    for (genvar i = 0; i < X; i++) begin : g_x
        for (genvar k = 0; k < Y; k++) begin : g_y
            for (genvar j = 0; j < Z; j++) begin : g_z
                logic [7:0] a_in, b_in;
                logic [31:0] s_in, c_in, s_nxt, c_nxt;
                assign a_in = (j == 0) ? a_inj[i][k] : a_reg[i][k][j-1];
                assign b_in = (i == 0) ? b_inj[k][j] : b_reg[i-1][k][j];
                assign s_in = (k == 0) ? 32'd0 : ps[i][k-1][j];
                assign c_in = (k == 0) ? 32'd0 : pc[i][k-1][j];
                if (OPT1 != 0) begin : g_opt1
                    logic [31:0] pp [4];
                    for (genvar q = 0; q < 4; q++) begin : g_pp
                        tpe_booth_pp #(.W(32), .I(q)) u_pp (.a(a_in), .b(b_in), .pp(pp[q]));
                    end
                    tpe_csa_n #(.W(32), .N(6)) u_csa (.ops({c_in, s_in, pp[3], pp[2], pp[1],
                                                            pp[0]}), .s(s_nxt), .c(c_nxt));
                end else begin : g_mac
                    logic signed [15:0] prod;
                    assign prod = $signed(a_in) * $signed(b_in);
                    assign s_nxt = s_in + {{16{prod[15]}}, prod};
                    assign c_nxt = '0;
                end
                always_ff @(posedge clk) begin
                    a_reg[i][k][j] <= a_in;
                    b_reg[i][k][j] <= b_in;
                    ps[i][k][j] <= s_nxt;
                    pc[i][k][j] <= c_nxt;
                end
            end
        end
    end
    for (genvar i = 0; i < X; i++) begin : g_oi
        for (genvar j = 0; j < Z; j++) begin : g_oj
            logic [2:0] fl;
            logic [31:0] val, fuse_r;
            tpe_delay #(.W(3), .D(i + j + Y + F)) u_fl (.clk, .d({tvld, first, last}), .q(fl));
            always_ff @(posedge clk) fuse_r <= ps[i][Y-1][j] + pc[i][Y-1][j];
            assign val = (OPT1 != 0) ? fuse_r : ps[i][Y-1][j];
            always_ff @(posedge clk) begin
                vld[i*Z+j] <= fl[2] & fl[0];
                if (fl[2]) acc[(i*Z+j)*32 +: 32] <= (fl[1] ? 32'd0 : acc[(i*Z+j)*32 +: 32])
                                                    + val;
            end
        end
    end
endmodule

module tpe_cube_top #(parameter int X = 2, parameter int Y = 2, parameter int Z = 2) (
    input  logic              clk,
    input  logic [X*Y*8-1:0]  a_tile,
    input  logic [Y*Z*8-1:0]  b_tile,
    input  logic              first,
    input  logic              last,
    input  logic              tvld,
    output logic [X*Z*32-1:0] mac_acc,
    output logic [X*Z-1:0]    mac_vld,
    output logic [X*Z*32-1:0] opt1_acc,
    output logic [X*Z-1:0]    opt1_vld
);
    tpe_cube #(.X(X), .Y(Y), .Z(Z), .OPT1(0)) u_mac (.clk, .a_tile, .b_tile, .first, .last,
                                                    .tvld, .acc(mac_acc), .vld(mac_vld));
    tpe_cube #(.X(X), .Y(Y), .Z(Z), .OPT1(1)) u_opt1 (.clk, .a_tile, .b_tile, .first, .last,
                                                     .tvld, .acc(opt1_acc), .vld(opt1_vld));
endmodule

// 2D-Matrix: MT x NT PEs, each a KT-wide dot product per cycle; A tile [MT, KT] broadcast along
// PE rows, B tile [KT, NT] along PE columns, one tile per clock, K tiles of an output block
// accumulated in place (flags first/last). MAC: operand registers, then acc += sum_q a*b
// (latency 1 after the last tile). OPT2: EN-T encoders hoisted per A element (shared by the NT
// PEs of a row), each PE reduces its 4*KT PPs with the carry-save (sum, carry) pair; a CPA in
// the read-out path (not in the loop) fuses the pair (latency 2).
// a_tile[(i*KT+q)*8 +: 8], b_tile[(q*NT+j)*8 +: 8], acc[(i*NT+j)*32 +: 32].
module tpe_matrix2d #(parameter int MT = 2, parameter int NT = 2, parameter int KT = 4,
                      parameter int OPT2 = 0) (
    input  logic               clk,
    input  logic [MT*KT*8-1:0] a_tile,
    input  logic [KT*NT*8-1:0] b_tile,
    input  logic               first,
    input  logic               last,
    input  logic               tvld,
    output logic [MT*NT*32-1:0] acc,
    output logic [MT*NT-1:0]   vld
);
    logic [MT*KT*8-1:0] a_r;
    logic [KT*NT*8-1:0] b_r, b_r2;
    logic [2:0] f1, f2;
    always_ff @(posedge clk) begin
        a_r <= a_tile;
        b_r <= b_tile;
        b_r2 <= b_r;
        f1 <= {tvld, first, last};
        f2 <= f1;
    end
    if (OPT2 == 0) begin : g_mac
        for (genvar i = 0; i < MT; i++) begin : g_i
            for (genvar j = 0; j < NT; j++) begin : g_j
                logic [31:0] dot;
                always_comb begin
                    dot = '0;
                    for (int q = 0; q < KT; q++)
                        dot = dot + 32'($signed(a_r[(i*KT+q)*8 +: 8])
                                        * $signed(b_r[(q*NT+j)*8 +: 8]));
                end
                always_ff @(posedge clk) begin
                    vld[i*NT+j] <= f1[2] & f1[0];
                    if (f1[2]) acc[(i*NT+j)*32 +: 32] <= (f1[1] ? 32'd0
                                                          : acc[(i*NT+j)*32 +: 32]) + dot;
                end
            end
        end
    end else begin : g_opt2
        logic [7:0] sel_c [MT][KT];
        logic [3:0] nz_c [MT][KT];
        logic [7:0] sel_r [MT][KT];
        logic [3:0] nz_r [MT][KT];
        for (genvar i = 0; i < MT; i++) begin : g_ei
            for (genvar q = 0; q < KT; q++) begin : g_eq
                tpe_bs_enc u_enc (.a(a_r[(i*KT+q)*8 +: 8]), .sel(sel_c[i][q]), .nz(nz_c[i][q]));
                always_ff @(posedge clk) begin
                    sel_r[i][q] <= sel_c[i][q];
                    nz_r[i][q] <= nz_c[i][q];
                end
            end
        end
        for (genvar i = 0; i < MT; i++) begin : g_i
            for (genvar j = 0; j < NT; j++) begin : g_j
                logic [4*KT*32-1:0] pps;
                logic [31:0] s, c, s_nxt, c_nxt;
                for (genvar q = 0; q < KT; q++) begin : g_q
                    for (genvar d = 0; d < 4; d++) begin : g_d
                        logic [9:0] pp;
                        tpe_pp_sel u_sel (.sel(sel_r[i][q][2*d +: 2]), .nz(nz_r[i][q][d]),
                                          .b(b_r2[(q*NT+j)*8 +: 8]), .pp(pp));
                        assign pps[(q*4+d)*32 +: 32] = 32'($signed(pp)) << (2 * d);
                    end
                end
                tpe_csa_n #(.W(32), .N(4 * KT + 2)) u_csa (
                    .ops({(f2[1] ? 32'd0 : c), (f2[1] ? 32'd0 : s), pps}), .s(s_nxt),
                    .c(c_nxt));
                always_ff @(posedge clk) begin
                    if (f2[2]) begin
                        s <= s_nxt;
                        c <= c_nxt;
                    end
                    vld[i*NT+j] <= f2[2] & f2[0];
                end
                assign acc[(i*NT+j)*32 +: 32] = s + c;  // read-out CPA, outside the loop
            end
        end
    end
endmodule

module tpe_matrix2d_top #(parameter int MT = 2, parameter int NT = 2, parameter int KT = 4) (
    input  logic               clk,
    input  logic [MT*KT*8-1:0] a_tile,
    input  logic [KT*NT*8-1:0] b_tile,
    input  logic               first,
    input  logic               last,
    input  logic               tvld,
    output logic [MT*NT*32-1:0] mac_acc,
    output logic [MT*NT-1:0]   mac_vld,
    output logic [MT*NT*32-1:0] opt2_acc,
    output logic [MT*NT-1:0]   opt2_vld
);
    tpe_matrix2d #(.MT(MT), .NT(NT), .KT(KT), .OPT2(0)) u_mac (
        .clk, .a_tile, .b_tile, .first, .last, .tvld, .acc(mac_acc), .vld(mac_vld));
    tpe_matrix2d #(.MT(MT), .NT(NT), .KT(KT), .OPT2(1)) u_opt2 (
        .clk, .a_tile, .b_tile, .first, .last, .tvld, .acc(opt2_acc), .vld(opt2_vld));
endmodule
